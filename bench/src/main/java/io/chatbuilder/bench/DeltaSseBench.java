package io.chatbuilder.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.event.AppEventLog;
import io.chatbuilder.core.event.EventLog;
import io.chatbuilder.core.event.InMemoryAppEventLog;
import io.chatbuilder.core.event.InMemoryEventLog;
import io.chatbuilder.core.internal.SseEvent;
import io.chatbuilder.core.internal.SseReader;
import io.chatbuilder.core.model.FinishReason;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.model.ModelResponse;
import io.chatbuilder.core.model.ModelStreamListener;
import io.chatbuilder.core.model.Usage;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.sandbox.SandboxProvider;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * B15: a model's text delta to its SSE frame on the wire, through the starter's real HTTP API
 * (Tomcat, {@code POST /admin/apps/{id}/builder/chat/stream}) with the event log on PostgreSQL.
 * The model streams {@code N} deltas {@value #GAP_MICROS} µs apart and stamps {@code nanoTime} as
 * it hands each to the agent loop; an HTTP client in the same JVM stamps the moment the frame
 * carrying it is parsed. Peer in the same run: the same server with every store in memory, so the
 * difference is what the durable log adds to the live path. Target: p99 ≤ 5 ms on PostgreSQL.
 */
final class DeltaSseBench {
  private static final long GAP_MICROS = 1_000;
  private static final double TARGET_P99_MS = 5.0;
  private static final String MARK = "\u27e6";

  private final BenchConfig config;
  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  DeltaSseBench(BenchConfig config) {
    this.config = config;
  }

  /** Streams {@code deltas} text deltas, recording when each was handed to the loop. */
  private static final class PacedModel implements ModelClient {
    final int deltas;
    volatile AtomicLongArray emitted;

    PacedModel(int deltas) {
      this.deltas = deltas;
    }

    @Override
    public ModelResponse stream(ModelRequest request, ModelStreamListener listener, Cancellation cancellation) {
      AtomicLongArray stamps = emitted;
      StringBuilder text = new StringBuilder();
      long next = System.nanoTime();
      for (int i = 0; i < deltas; i++) {
        next += TimeUnit.MICROSECONDS.toNanos(GAP_MICROS);
        while (System.nanoTime() < next) {
          LockSupport.parkNanos(next - System.nanoTime());
        }
        String delta = MARK + i + " ";
        stamps.set(i, System.nanoTime());
        listener.onTextDelta(delta);
        text.append(delta);
      }
      return new ModelResponse(text.toString(), List.of(), FinishReason.STOP, Usage.ZERO);
    }

    @Override
    public String name() {
      return "paced:" + deltas;
    }
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class Server {}

  List<Result> run() {
    boolean smoke = config.smoke();
    int deltas = smoke ? 50 : 500;
    int warmups = smoke ? 1 : 3;
    int runs = smoke ? 1 : 10;
    if (!StoreSession.postgresReachable()) {
      throw new IllegalStateException("B15 needs PostgreSQL on 127.0.0.1:5432 (database test, user postgres)");
    }
    String prefix = "b15_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10) + "_";
    PacedModel pgModel = new PacedModel(deltas);
    PacedModel memoryModel = new PacedModel(deltas);
    List<Long> pg = new ArrayList<>();
    List<Long> memory = new ArrayList<>();
    try (ConfigurableApplicationContext pgServer = start(pgModel, Map.of(
            "spring.datasource.url", StoreSession.POSTGRES_URL, "spring.datasource.username", "postgres",
            "spring.datasource.password", "", "chatbuilder.store.table-prefix", prefix), false);
        ConfigurableApplicationContext memoryServer = start(memoryModel, Map.of("chatbuilder.store.enabled", "false"), true)) {
      int pgPort = port(pgServer);
      int memoryPort = port(memoryServer);
      // The two servers alternate run by run, so load from other processes hits both alike.
      for (int i = 0; i < warmups + runs; i++) {
        List<Long> p = chat(pgPort, pgModel, "b15-pg-" + i);
        List<Long> m = chat(memoryPort, memoryModel, "b15-mem-" + i);
        if (i >= warmups) {
          pg.addAll(p);
          memory.addAll(m);
        }
      }
    } finally {
      StoreSession.dropPostgresTables(prefix);
    }
    Stats ours = Stats.ofNanos(pg);
    Stats peer = Stats.ofNanos(memory);
    double oursP99 = percentileMs(pg, 99);
    double peerP99 = percentileMs(memory, 99);
    Map<String, Object> sizes = new LinkedHashMap<>();
    sizes.put("text_deltas_per_run", deltas);
    sizes.put("runs", runs);
    sizes.put("delta_gap_us", GAP_MICROS);
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("postgresql_p50_ms", Result.round(percentileMs(pg, 50)));
    extra.put("postgresql_p99_ms", Result.round(oursP99));
    extra.put("postgresql_p999_ms", Result.round(percentileMs(pg, 99.9)));
    extra.put("memory_p50_ms", Result.round(percentileMs(memory, 50)));
    extra.put("memory_p99_ms", Result.round(peerP99));
    extra.put("memory_p999_ms", Result.round(percentileMs(memory, 99.9)));
    // The ratio is the p99s' (memory over PostgreSQL); the target is PostgreSQL's p99 itself.
    double ratio = peerP99 / oursP99;
    return List.of(new Result("B15", "B15 delta to SSE frame, p99, " + deltas + " deltas x " + runs + " runs",
        Optional.of("postgresql"), "starter HTTP API, event log on PostgreSQL: model delta to parsed SSE frame", ours,
        "the same server with in-memory stores", peer, ratio, "p99 latency", "p99 <= 5 ms on PostgreSQL",
        oursP99 <= TARGET_P99_MS, sizes, extra));
  }

  private static ConfigurableApplicationContext start(PacedModel model, Map<String, Object> properties, boolean memoryLogs) {
    Map<String, Object> p = new LinkedHashMap<>(properties);
    p.put("server.port", "0");
    p.put("server.address", "127.0.0.1");
    p.put("spring.main.banner-mode", "off");
    p.put("spring.application.name", "chatbuilder-bench-b15");
    p.put("logging.level.root", "warn");
    SpringApplicationBuilder app = new SpringApplicationBuilder(Server.class).properties(p).initializers(ctx -> {
      var beans = ctx.getBeanFactory();
      beans.registerSingleton("benchModel", model);
      beans.registerSingleton("benchPolicy", AppAccessPolicy.allowAll());
      beans.registerSingleton("benchTemplate", new AppTemplate() {
        @Override
        public String id() {
          return "page";
        }

        @Override
        public String description() {
          return "one HTML file";
        }

        @Override
        public SortedMap<String, byte[]> files() {
          return new TreeMap<>(Map.of("index.html", "<!doctype html><h1>B15</h1>\n".getBytes(StandardCharsets.UTF_8)));
        }
      });
      // No tool runs in this bench: the sandbox only has to exist.
      beans.registerSingleton("benchSandboxes", (SandboxProvider) id -> InMemorySandbox.builder(id).build());
      if (memoryLogs) {
        beans.registerSingleton("benchEventLog", (EventLog) new InMemoryEventLog());
        beans.registerSingleton("benchAppEventLog", (AppEventLog) new InMemoryAppEventLog());
      }
    });
    return app.run();
  }

  private static int port(ConfigurableApplicationContext context) {
    return ((WebServerApplicationContext) context).getWebServer().getPort();
  }

  /** One chat; each delta's latency in nanoseconds, checked complete and in order. */
  private List<Long> chat(int port, PacedModel model, String appId) {
    create(port, appId);
    AtomicLongArray emitted = new AtomicLongArray(model.deltas);
    model.emitted = emitted;
    long[] arrived = new long[model.deltas];
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/admin/apps/" + appId
            + "/builder/chat/stream"))
        .header("Content-Type", "application/json").header("Accept", "text/event-stream")
        .timeout(Duration.ofMinutes(2))
        .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"stream\"}")).build();
    int seen = 0;
    String last = "";
    try {
      HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      CheckpointBench.check(response.statusCode() == 200, "B15: chat answered " + response.statusCode());
      try (InputStream body = new BufferedInputStream(response.body(), 8192)) {
        SseReader reader = new SseReader(body, 1 << 20, SseReader.EndOfStream.DROP_UNTERMINATED);
        for (SseEvent e; (e = reader.next()) != null; ) {
          long now = System.nanoTime();
          if (e.event().equals("assistant_delta")) {
            String text = json.readTree(e.data()).path("text").asText();
            for (String part : text.split(MARK)) {
              if (!part.isBlank()) {
                int index = Integer.parseInt(part.strip());
                CheckpointBench.check(index == seen, "B15: delta " + index + " arrived, expected " + seen);
                arrived[index] = now;
                seen++;
              }
            }
          } else {
            last = e.event();
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    CheckpointBench.check(seen == model.deltas, "B15: " + seen + " of " + model.deltas + " deltas arrived");
    CheckpointBench.check(last.equals("run_completed"), "B15: the stream ended with '" + last + "'");
    List<Long> latencies = new ArrayList<>(model.deltas);
    for (int i = 0; i < model.deltas; i++) {
      latencies.add(arrived[i] - emitted.get(i));
    }
    return latencies;
  }

  private void create(int port, String appId) {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/admin/apps"))
        .header("Content-Type", "application/json").timeout(Duration.ofMinutes(1))
        .POST(HttpRequest.BodyPublishers.ofString("{\"app_id\":\"" + appId + "\"}")).build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      CheckpointBench.check(response.statusCode() == 201, "B15: creating " + appId + " answered "
          + response.statusCode() + " " + response.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static double percentileMs(List<Long> nanos, double p) {
    double[] ms = nanos.stream().mapToDouble(n -> n / 1_000_000.0).sorted().toArray();
    return Stats.percentile(ms, p);
  }
}
