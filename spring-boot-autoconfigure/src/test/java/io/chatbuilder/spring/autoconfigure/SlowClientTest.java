package io.chatbuilder.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.testing.ScriptedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A client that stops reading does not hold up the run: its stream is cut after a gapless prefix,
 * and {@code Last-Event-ID} brings the rest, so it misses nothing.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "server.address=127.0.0.1",
    "chatbuilder.sandbox.isolation=unisolated",
    "chatbuilder.http.stream-queue-capacity=16"})
class SlowClientTest {
  /** Far more than loopback socket buffers hold, so a client that does not read really falls behind. */
  private static final int DELTAS = 600;
  private static final String CHUNK = "x".repeat(32 * 1024);

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    ModelClient model() {
      return ScriptedModel.responding(request -> {
        ScriptedModel.TurnBuilder t = ScriptedModel.Turn.builder();
        for (int i = 0; i < DELTAS; i++) {
          t.text(CHUNK);
        }
        return Optional.of(t.build());
      });
    }

    @Bean
    AppTemplate template() {
      return Fixtures.template();
    }

    @Bean
    AppAccessPolicy policy() {
      return AppAccessPolicy.allowAll();
    }
  }

  @DynamicPropertySource
  static void directories(DynamicPropertyRegistry registry) throws IOException {
    Path dir = Files.createTempDirectory("chatbuilder-slow-test");
    registry.add("chatbuilder.sandbox.base-directory", () -> dir.resolve("apps").toString());
  }

  @LocalServerPort
  int port;

  @Autowired
  ChatBuilder chatBuilder;

  @Test
  void aClientThatStopsReadingNeitherStallsTheRunNorMissesAnEvent() throws Exception {
    OkHttpClient http = new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(60)).build();
    MediaType json = MediaType.get("application/json");
    String base = "http://localhost:" + port + "/admin/apps";
    try (Response r = http.newCall(new Request.Builder().url(base)
        .post(RequestBody.create("{\"app_id\":\"slow\",\"template_id\":\"plain\"}", json)).build()).execute()) {
      assertThat(r.code()).isEqualTo(201);
    }
    List<Sse.Frame> first;
    String runId;
    try (Response r = http.newCall(new Request.Builder().url(base + "/slow/builder/chat/stream")
        .post(RequestBody.create("{\"message\":\"talk a lot\"}", json)).build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
      runId = r.header("X-Run-Id");
      // Not one byte is read until the run is over: it must end on its own (the bound only guards a hang).
      RunHandle run = chatBuilder.activeRun("slow").filter(h -> h.runId().equals(runId)).orElse(null);
      if (run != null) {
        RunResult result = run.completion().get(120, TimeUnit.SECONDS);
        assertThat(result.outcome()).isEqualTo(RunOutcome.COMPLETED);
      }
      first = Sse.readAll(r.body().source());
    }
    List<Event> all = chatBuilder.events("slow", runId, 0);
    assertThat(all.get(all.size() - 1)).isInstanceOf(Event.RunCompleted.class);
    int n = all.size();
    assertThat(first.stream().mapToLong(Sse.Frame::id).toArray())
        .containsExactly(LongStream.rangeClosed(1, first.size()).toArray());
    assertThat(first.size()).as("the stream of a client that did not read was cut").isLessThan(n);

    List<Sse.Frame> frames = new ArrayList<>(first);
    try (Response r = http.newCall(new Request.Builder().url(base + "/slow/builder/runs/" + runId + "/events")
        .header("Last-Event-ID", Long.toString(first.get(first.size() - 1).id())).build()).execute()) {
      frames.addAll(Sse.readAll(r.body().source()));
    }
    assertThat(frames.stream().mapToLong(Sse.Frame::id).toArray()).containsExactly(LongStream.rangeClosed(1, n).toArray());
    assertThat(frames.get(frames.size() - 1).event()).isEqualTo("run_completed");
    assertThat(Map.of("deltas", frames.stream().filter(f -> f.event().equals("assistant_delta")).count()))
        .isEqualTo(Map.of("deltas", all.stream().filter(e -> e.type().equals("assistant_delta")).count()));
  }
}
