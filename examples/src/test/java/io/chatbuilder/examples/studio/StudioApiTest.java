package io.chatbuilder.examples.studio;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.testing.ScriptedModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The studio's HTTP API over real HTTP on loopback, with the offline demo model (no browser). The
 * tests that need no studio of their own (another model, runtime or a restart) share one demo
 * studio for the class, each on an app of its own.
 */
class StudioApiTest {
  private static final JsonCodec CODEC = new JsonCodec();

  @TempDir static Path sharedData;
  private static Studio shared;

  @TempDir Path data;
  private Studio studio;
  private HttpTestClient client;

  @BeforeAll
  static void startShared() {
    shared = Studio.builder(sharedData).model(new DemoModel(Duration.ZERO)).port(0).start();
  }

  @AfterAll
  static void stopShared() {
    if (shared != null) {
      shared.close();
    }
  }

  @AfterEach
  void stop() {
    if (studio != null && studio != shared) {
      studio.close();
    }
  }

  private void start(Studio.Builder builder) {
    studio = builder.port(0).start();
    client = new HttpTestClient(studio.url());
  }

  /** The demo studio this class shares. */
  private void startDemo() {
    studio = shared;
    client = new HttpTestClient(shared.url());
  }

  /** A demo studio of this test's own, on its own data directory. */
  private void startOwnDemo() {
    start(Studio.builder(data).model(new DemoModel(Duration.ZERO)));
  }

  private void createApp(String appId) {
    HttpTestClient.Reply created = client.call("POST", "/admin/apps", "{\"app_id\":\"" + appId + "\"}");
    assertThat(created.status()).as(created.text()).isEqualTo(201);
  }

  /** Sends a chat and reads its whole stream. */
  private List<HttpTestClient.Frame> chat(String appId, String message) {
    try (HttpTestClient.EventStream stream = client.stream("POST", "/admin/apps/" + appId + "/builder/chat/stream",
        json("message", message), Map.of())) {
      assertThat(stream.response.code()).isEqualTo(200);
      List<HttpTestClient.Frame> frames = stream.rest();
      return frames;
    }
  }

  private static String json(String... keyValues) {
    var o = HttpTestClient.JSON.createObjectNode();
    for (int i = 0; i < keyValues.length; i += 2) {
      o.put(keyValues[i], keyValues[i + 1]);
    }
    return o.toString();
  }

  /** Starts the app's draft and returns its preview URL. */
  private String preview(String appId) {
    return client.call("POST", "/admin/apps/" + appId + "/builder/draft").json().get("preview_url").asText();
  }

  private String file(String appId, String path) throws Exception {
    return Files.readString(studio.dataDir().resolve("apps").resolve(appId).resolve(path));
  }

  @Test
  void chatStreamCarriesTheCoreEventsAsSseWithIdEqualToSeq() throws Exception {
    startDemo();
    createApp("stream");
    try (HttpTestClient.EventStream stream = client.stream("POST", "/admin/apps/stream/builder/chat/stream",
        json("message", "Build a counter app"), Map.of())) {
      assertThat(stream.response.code()).isEqualTo(200);
      assertThat(stream.response.header("Content-Type")).startsWith("text/event-stream");
      String runId = stream.response.header("X-Run-Id");
      List<HttpTestClient.Frame> frames = stream.rest();

      assertThat(frames).extracting(HttpTestClient.Frame::id)
          .containsExactlyElementsOf(LongStream.rangeClosed(1, frames.size()).boxed().toList());
      List<Event> events = frames.stream().map(f -> CODEC.eventFromJson(f.data())).toList();
      for (int i = 0; i < frames.size(); i++) {
        assertThat(frames.get(i).event()).isEqualTo(events.get(i).type());
        assertThat(events.get(i).seq()).isEqualTo(frames.get(i).id());
        assertThat(events.get(i).runId()).isEqualTo(runId);
      }
      assertThat(events.get(0)).isInstanceOf(Event.RunStarted.class);
      assertThat(events.get(events.size() - 1)).isInstanceOf(Event.RunCompleted.class);
      assertThat(events).filteredOn(e -> e instanceof Event.ToolStarted t && t.toolName().equals("write_file")).hasSize(3);
      assertThat(events).filteredOn(e -> e instanceof Event.CheckpointCreated).hasSize(1);
      assertThat(events).filteredOn(e -> e instanceof Event.AssistantDelta).hasSizeGreaterThan(5);
      // The wire form is exactly the core codec's.
      assertThat(frames).allSatisfy(f -> assertThat(f.data()).isEqualTo(CODEC.toJson(CODEC.eventFromJson(f.data()))));
    }
    assertThat(file("stream", "index.html")).contains("<h1 id=\"title\">Counter</h1>");
    assertThat(file("stream", "src/main.js")).contains("#increment");
  }

  @Test
  void theAppStreamReplaysFromLastEventIdAndDeliversLiveEvents() {
    startDemo();
    createApp("appstream");
    chat("appstream", "Build a counter app");
    List<io.chatbuilder.core.event.AppEvent> log = studio.chatBuilder().appEvents("appstream", 0);
    assertThat(log).extracting(io.chatbuilder.core.event.AppEvent::type)
        .containsExactly("checkpoint_created", "run_started", "checkpoint_created", "run_ended");
    try (HttpTestClient.EventStream stream = client.stream("GET", "/admin/apps/appstream/events", null, Map.of("Last-Event-ID", "1"))) {
      assertThat(stream.response.code()).isEqualTo(200);
      assertThat(stream.response.header("Content-Type")).startsWith("text/event-stream");
      List<HttpTestClient.Frame> frames = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        frames.add(stream.next().orElseThrow());
      }
      assertThat(frames).extracting(HttpTestClient.Frame::id).containsExactly(2L, 3L, 4L);
      assertThat(frames).extracting(HttpTestClient.Frame::data)
          .containsExactlyElementsOf(log.subList(1, 4).stream().map(CODEC::toJson).toList());
      // Live: an undo made through the API arrives on the open stream.
      assertThat(client.call("POST", "/admin/apps/appstream/builder/undo", "{}").status()).isEqualTo(200);
      HttpTestClient.Frame undo = stream.next().orElseThrow();
      assertThat(undo.id()).isEqualTo(5L);
      assertThat(undo.event()).isEqualTo("checkpoint_created");
      assertThat(undo.json().path("checkpoint").path("checkpoint_type").asText()).isEqualTo("undo");
    }
    assertThat(client.call("GET", "/admin/apps/nope/events").status()).isEqualTo(404);
    assertThat(client.call("GET", "/admin/apps/appstream/events?last_event_id=-1").status()).isEqualTo(400);
  }

  @Test
  void reconnectingWithLastEventIdAfterTheRunEndedGetsTheRestAndNothingTwice() {
    startDemo();
    createApp("replay");
    List<HttpTestClient.Frame> seen = new ArrayList<>();
    String runId;
    try (HttpTestClient.EventStream stream = client.stream("POST", "/admin/apps/replay/builder/chat/stream",
        json("message", "Build a counter app"), Map.of())) {
      runId = stream.response.header("X-Run-Id");
      for (int i = 0; i < 4; i++) {
        seen.add(stream.next().orElseThrow());
      }
    } // the connection drops mid-run
    studio.chatBuilder().activeRun("replay").ifPresent(r -> r.completion().join());

    try (HttpTestClient.EventStream again = client.stream("GET", "/admin/apps/replay/builder/runs/" + runId + "/events", null,
        Map.of("Last-Event-ID", String.valueOf(seen.get(seen.size() - 1).id())))) {
      assertThat(again.response.code()).isEqualTo(200);
      seen.addAll(again.rest());
    }
    List<Event> log = studio.chatBuilder().events("replay", runId, 0);
    assertThat(seen).extracting(HttpTestClient.Frame::id).containsExactlyElementsOf(log.stream().map(Event::seq).toList());
    assertThat(seen).extracting(HttpTestClient.Frame::data).containsExactlyElementsOf(log.stream().map(CODEC::toJson).toList());
    assertThat(seen.get(seen.size() - 1).event()).isEqualTo("run_completed");
  }

  @Test
  void reconnectingWhileTheRunIsLiveResumesWithoutGapsOrDuplicatesAndSendsHeartbeats() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    ScriptedModel model = ScriptedModel.responding(request -> {
      if (calls.incrementAndGet() == 1) {
        return Optional.of(ScriptedModel.Turn.builder().text("Writing. ")
            .toolCall("c1", "write_file", "{\"path\":\"index.html\",\"content\":\"<h1>Gated</h1>\"}").build());
      }
      try {
        gate.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return Optional.of(ScriptedModel.Turn.builder().text("Done ").text("now.").build());
    });
    start(Studio.builder(data).model(model).heartbeat(Duration.ofMillis(50)));
    createApp("shop");

    List<HttpTestClient.Frame> seen = new ArrayList<>();
    String runId;
    try (HttpTestClient.EventStream stream = client.stream("POST", "/admin/apps/shop/builder/chat/stream",
        json("message", "Write it"), Map.of())) {
      runId = stream.response.header("X-Run-Id");
      while (seen.isEmpty() || !seen.get(seen.size() - 1).event().equals("tool_completed")) {
        seen.add(stream.next().orElseThrow());
      }
      // The model now waits at the gate: the run is busy, and a second chat is refused.
      HttpTestClient.Reply busy = client.call("POST", "/admin/apps/shop/builder/chat/stream", json("message", "again"));
      assertThat(busy.status()).isEqualTo(409);
      assertThat(busy.json().get("code").asText()).isEqualTo("busy");
      assertThat(client.call("POST", "/admin/apps/shop/builder/undo").json().get("code").asText()).isEqualTo("busy");
    }

    try (HttpTestClient.EventStream again = client.stream("GET", "/admin/apps/shop/builder/runs/" + runId + "/events", null,
        Map.of("Last-Event-ID", String.valueOf(seen.get(seen.size() - 1).id())))) {
      assertThat(again.response.code()).isEqualTo(200);
      // The model waits at the gate until this stream has seen a heartbeat comment: idle streams stay alive.
      again.onComment = comment -> {
        if (comment.equals(":heartbeat")) { // Spring's SseEmitter writes comments without a space
          gate.countDown();
        }
      };
      seen.addAll(again.rest());
    }
    assertThat(gate.getCount()).as("released by a heartbeat, not by the model's 30 s timeout").isZero();
    List<Event> log = studio.chatBuilder().events("shop", runId, 0);
    assertThat(seen).extracting(HttpTestClient.Frame::id).containsExactlyElementsOf(log.stream().map(Event::seq).toList());
    assertThat(seen.get(seen.size() - 1).event()).isEqualTo("run_completed");
    assertThat(seen).extracting(HttpTestClient.Frame::event).contains("checkpoint_created");
  }

  @Test
  void errorsAreJsonWithACodeAndTheRightStatus() {
    startDemo();
    createApp("errors");
    chat("errors", "Build a counter app");

    assertError(client.call("GET", "/admin/apps/nope/builder/checkpoints"), 404, "not_found");
    assertError(client.call("POST", "/admin/apps/nope/builder/chat/stream", json("message", "hi")), 404, "not_found");
    assertError(client.call("GET", "/admin/apps/-bad/builder/checkpoints"), 400, "invalid_argument");
    assertError(client.call("POST", "/admin/apps", json("app_id", "errors")), 409, "conflict");
    assertError(client.call("POST", "/admin/apps", json("app_id", "other", "template_id", "nope")), 404, "not_found");
    assertError(client.call("POST", "/admin/apps", "{\"app_id\":"), 400, "invalid_argument");
    assertError(client.call("POST", "/admin/apps", "[1,2]"), 400, "invalid_argument");
    assertError(client.call("POST", "/admin/apps/errors/builder/chat/stream", "{}"), 400, "invalid_argument");
    assertError(client.call("POST", "/admin/apps/errors/builder/chat/stream", "{\"message\":42}"), 400, "invalid_argument");
    assertError(client.call("POST", "/admin/apps/errors/builder/chat/stream", json("message", "   ")), 400, "invalid_argument");
    assertError(client.call("POST", "/admin/apps/errors/builder/restore", json("checkpoint_id", "cp_missing")), 404, "not_found");
    assertError(client.call("POST", "/admin/apps/errors/builder/restore", "{}"), 400, "invalid_argument");
    assertError(client.call("GET", "/admin/apps/errors/builder/checkpoints/cp_missing"), 404, "not_found");
    assertError(client.call("GET", "/admin/apps/errors/builder/diff?from=x"), 400, "invalid_argument");
    String head = studio.chatBuilder().head("errors").orElseThrow().id();
    assertError(client.call("GET", "/admin/apps/errors/builder/diff?from=" + head + "&to=cp_missing"), 404, "not_found");
    assertError(client.call("POST", "/admin/apps/errors/builder/revert-file",
        json("checkpoint_id", head, "path", "../../etc/passwd")), 400, "path_refused");
    assertError(client.call("POST", "/admin/apps/errors/builder/revert-file",
        json("checkpoint_id", head, "path", "/etc/passwd")), 400, "path_refused");
    assertError(client.call("POST", "/admin/apps/errors/builder/redo"), 409, "nothing_to_do");
    assertError(client.call("POST", "/admin/apps/errors/builder/revert-file",
        json("checkpoint_id", head, "path", "index.html")), 409, "nothing_to_do");
    assertError(client.call("GET", "/admin/apps/errors/builder/runs/run_missing/events"), 404, "not_found");
    assertError(client.call("GET", "/admin/apps/errors/builder/runs/run_x/events", null, Map.of("Last-Event-ID", "abc")),
        400, "invalid_argument");
    assertError(client.call("GET", "/admin/apps/errors/builder/checkpoints?limit=-1"), 400, "invalid_argument");
    assertError(client.call("GET", "/admin/apps/errors/builder/undo"), 405, "method_not_allowed");
    assertError(client.call("GET", "/admin/nothing-here"), 404, "not_found");
    String preview = preview("errors");
    assertThat(client.call("GET", preview + "missing.js").status()).isEqualTo(404);
    assertThat(client.call("GET", preview + "..%2F..%2Fdb%2Fstudio.mv.db").text()).startsWith("path_refused");
    assertThat(client.call("GET", preview + "src%00/main.js").status()).isEqualTo(400);
    assertThat(client.call("POST", preview + "index.html").status()).isEqualTo(405);
    String huge = json("message", "x".repeat(2 << 20));
    assertError(client.call("POST", "/admin/apps/errors/builder/chat/stream", huge), 413, "too_large");
    // None of the refused requests changed anything.
    assertThat(studio.chatBuilder().head("errors").orElseThrow().id()).isEqualTo(head);
  }

  private static void assertError(HttpTestClient.Reply reply, int status, String code) {
    assertThat(reply.status()).as(reply.text()).isEqualTo(status);
    assertThat(reply.contentType()).startsWith("application/json");
    assertThat(reply.json().get("code").asText()).as(reply.text()).isEqualTo(code);
    assertThat(reply.json().get("message").asText()).isNotBlank();
  }

  @Test
  void undoRedoRestoreRevertFileAndDiffMoveTheFilesAndRecordCheckpoints() throws Exception {
    startDemo();
    createApp("history");
    String initial = studio.chatBuilder().head("history").orElseThrow().id();
    chat("history", "Build a counter app");
    String built = studio.chatBuilder().head("history").orElseThrow().id();
    chat("history", "make it dark");
    String dark = studio.chatBuilder().head("history").orElseThrow().id();
    assertThat(file("history", "style.css")).contains(DemoModel.css(true));
    assertThat(client.call("GET", preview("history") + "style.css").text()).isEqualTo(DemoModel.css(true));

    HttpTestClient.Reply undo = client.call("POST", "/admin/apps/history/builder/undo");
    assertThat(undo.status()).isEqualTo(200);
    assertThat(undo.json().at("/checkpoint/checkpoint_type").asText()).isEqualTo("undo");
    assertThat(undo.json().get("can_redo").asBoolean()).isTrue();
    assertThat(file("history", "style.css")).isEqualTo(DemoModel.css(false));
    assertThat(client.call("GET", preview("history") + "style.css").text()).isEqualTo(DemoModel.css(false));

    HttpTestClient.Reply redo = client.call("POST", "/admin/apps/history/builder/redo");
    assertThat(redo.json().at("/checkpoint/checkpoint_type").asText()).isEqualTo("redo");
    assertThat(file("history", "style.css")).isEqualTo(DemoModel.css(true));

    HttpTestClient.Reply restore = client.call("POST", "/admin/apps/history/builder/restore", json("checkpoint_id", initial));
    assertThat(restore.json().at("/checkpoint/checkpoint_type").asText()).isEqualTo("restore");
    assertThat(file("history", "index.html")).contains("New app");

    HttpTestClient.Reply revert = client.call("POST", "/admin/apps/history/builder/revert-file",
        json("checkpoint_id", dark, "path", "style.css"));
    assertThat(revert.status()).as(revert.text()).isEqualTo(200);
    assertThat(revert.json().at("/checkpoint/checkpoint_type").asText()).isEqualTo("revert_file");
    assertThat(file("history", "style.css")).isEqualTo(DemoModel.css(true));
    assertThat(file("history", "index.html")).contains("New app"); // only the one file moved

    JsonNode list = client.call("GET", "/admin/apps/history/builder/checkpoints").json();
    List<String> types = new ArrayList<>();
    list.get("checkpoints").forEach(c -> types.add(c.get("checkpoint_type").asText()));
    assertThat(types).containsExactly("revert_file", "restore", "redo", "undo", "agent_run", "agent_run", "initial");
    assertThat(list.get("head_id").asText()).isEqualTo(revert.json().at("/checkpoint/id").asText());
    assertThat(list.get("can_undo").asBoolean()).isTrue();

    JsonNode files = client.call("GET", "/admin/apps/history/builder/checkpoints/" + built + "/files").json();
    assertThat(files.get("files")).extracting(f -> f.get("path").asText()).containsExactly("index.html", "src/main.js", "style.css");

    JsonNode diff = client.call("GET", "/admin/apps/history/builder/diff?from=" + built + "&to=" + dark).json();
    assertThat(diff.get("files")).hasSize(1);
    assertThat(diff.at("/files/0/path").asText()).isEqualTo("style.css");
    assertThat(diff.at("/files/0/kind").asText()).isEqualTo("modified");
    assertThat(diff.at("/files/0/unified_diff").asText()).contains("-  background: #f8fafc;").contains("+  background: #111827;");
  }

  @Test
  void publishCopiesTheCheckpointDeterministicallyAndServesIt() {
    startDemo();
    createApp("publish");
    chat("publish", "Build a counter app");
    String head = studio.chatBuilder().head("publish").orElseThrow().id();

    JsonNode first = client.call("POST", "/admin/apps/publish/builder/publish").json();
    assertThat(first.get("success").asBoolean()).as(first.toString()).isTrue();
    assertThat(first.get("checkpoint_id").asText()).isEqualTo(head);
    assertThat(first.get("files").asInt()).isEqualTo(3);
    // Published sites are served on an origin of their own, not the API's, and not another app's.
    String site = first.get("site_url").asText();
    assertThat(site).isEqualTo(studio.siteOrigin("publish") + "/published/publish/" + first.get("publish_id").asText() + "/");
    assertThat(studio.siteOrigin("publish").getHost()).matches("[0-9a-f]{10}-publish\\.localhost");
    assertThat(studio.siteOrigin("publish").getPort()).isEqualTo(studio.sitePort()).isNotEqualTo(studio.port());
    assertThat(studio.siteOrigin("other")).isNotEqualTo(studio.siteOrigin("publish"));
    HttpTestClient sites = new HttpTestClient(studio.siteOrigin("publish"));
    HttpTestClient.Reply index = sites.call("GET", site + "index.html");
    assertThat(index.text()).isEqualTo(DemoModel.html(DemoModel.TITLE, false));
    assertThat(index.headers().get("Content-Security-Policy")).isEqualTo(io.chatbuilder.core.runtime.AppPagePolicy.publishedSite())
        .contains("connect-src 'self'").contains("default-src 'self'").contains("frame-ancestors 'none'");
    assertThat(index.headers().get("X-Content-Type-Options")).isEqualTo("nosniff");
    assertThat(sites.call("GET", site + "style.css").text()).isEqualTo(DemoModel.css(false));
    assertThat(sites.call("GET", site + ".publish.json").status()).isEqualTo(404);
    assertThat(sites.call("GET", site + "..%2F..%2F..%2Fdb%2Fstudio.mv.db").status()).isEqualTo(404);
    assertThat(sites.call("GET", "/published/publish/pub_missing/index.html").status()).isEqualTo(404);
    assertThat(sites.call("GET", "/published/publish/..%2F..%2Fdb/studio.mv.db").status()).isEqualTo(404);
    assertThat(sites.call("GET", "/admin/apps").status()).as("the site origin serves no API").isEqualTo(404);
    // Another app's origin, or the bare port, gets none of this app's files.
    String path = java.net.URI.create(site).getRawPath() + "index.html";
    assertThat(new HttpTestClient(studio.siteOrigin("other")).call("GET", path).status()).isEqualTo(404);
    assertThat(new HttpTestClient(java.net.URI.create("http://127.0.0.1:" + studio.sitePort() + "/")).call("GET", path)
        .status()).isEqualTo(404);
    assertThat(new HttpTestClient(java.net.URI.create("http://localhost:" + studio.sitePort() + "/")).call("GET", path)
        .status()).isEqualTo(404);
    assertThat(client.call("GET", "/published/publish/" + first.get("publish_id").asText() + "/index.html").status())
        .as("the API origin serves no sites").isEqualTo(404);

    chat("publish", "make it dark"); // publishing reads the checkpoint, not the draft
    JsonNode again = client.call("POST", "/admin/apps/publish/builder/publish", json("checkpoint_id", head)).json();
    assertThat(again.get("manifest_hash").asText()).isEqualTo(first.get("manifest_hash").asText());
    assertThat(again.get("publish_id").asText()).isNotEqualTo(first.get("publish_id").asText());
    JsonNode publishes = client.call("GET", "/admin/apps/publish/builder/publishes").json().get("publishes");
    assertThat(publishes).hasSize(2);
  }

  @Test
  void draftStatusAndTemplatesAndAppsAreListed() {
    startDemo();
    createApp("listed");
    JsonNode info = client.call("GET", "/admin/studio").json();
    assertThat(info.get("demo").asBoolean()).isTrue();
    assertThat(info.get("model").asText()).isEqualTo(DemoModel.NAME);
    assertThat(info.get("isolated").asBoolean()).isTrue();
    assertThat(info.has("isolation_warning")).isFalse();
    assertThat(((io.chatbuilder.sandbox.local.LocalSandbox) studio.chatBuilder().sandbox("listed")).isolated()).isTrue();
    assertThat(client.call("GET", "/admin/templates").json().at("/templates/0/id").asText()).isEqualTo(StarterTemplate.ID);
    // The shared studio has other tests' apps too: the list is exactly the store's apps, this one among them.
    List<String> listed = new ArrayList<>();
    client.call("GET", "/admin/apps").json().get("apps").forEach(a -> listed.add(a.get("app_id").asText()));
    assertThat(listed).contains("listed").containsExactlyInAnyOrderElementsOf(studio.chatBuilder().checkpointStore().apps());
    assertThat(client.call("GET", "/admin/apps/listed/builder/draft").json().get("state").asText()).isEqualTo("stopped");
    JsonNode draft = client.call("POST", "/admin/apps/listed/builder/draft").json();
    assertThat(draft.get("state").asText()).isEqualTo("running");
    String url = draft.get("preview_url").asText();
    assertThat(url).matches("http://127\\.0\\.0\\.1:\\d+/").isNotEqualTo(studio.url().toString());
    assertThat(client.call("POST", "/admin/apps/listed/builder/draft").json().get("preview_url").asText()).isEqualTo(url);
    HttpTestClient.Reply page = client.call("GET", url);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.contentType()).startsWith("text/html");
    assertThat(page.text()).contains("New app");
    // The preview has its own origin, so the absolute paths Vite apps use resolve in the app.
    assertThat(client.call("GET", url + "src/main.js").contentType()).startsWith("text/javascript");
    assertThat(client.call("GET", "/src/main.js").status()).isEqualTo(404);
    HttpTestClient.Reply ui = client.call("GET", "/");
    assertThat(ui.text()).contains("ChatBuilder studio");
    assertThat(client.call("GET", "/ui/studio.js").contentType()).startsWith("text/javascript");
    // Tomcat refuses an encoded '/' in a path before any handler sees it.
    assertThat(client.call("GET", "/ui/..%2F..%2FStudio.class").status()).isEqualTo(400);
    assertThat(client.call("GET", "/ui/../Studio.class").status()).isEqualTo(404);
    assertThat(client.call("GET", "/ui/missing.js").status()).isEqualTo(404);
  }

  @Test
  void historyAndEventsSurviveARestartOnTheSameDataDirectory() {
    startOwnDemo();
    createApp("shop");
    String runId;
    try (HttpTestClient.EventStream stream = client.stream("POST", "/admin/apps/shop/builder/chat/stream",
        json("message", "Build a counter app"), Map.of())) {
      runId = stream.response.header("X-Run-Id");
      stream.rest();
    }
    JsonNode before = client.call("GET", "/admin/apps/shop/builder/checkpoints").json();
    studio.close();
    studio = null;

    startOwnDemo();
    assertThat(client.call("GET", "/admin/apps/shop/builder/checkpoints").json()).isEqualTo(before);
    assertThat(client.call("GET", "/admin/apps/shop/builder/runs").json().at("/run_ids/0").asText()).isEqualTo(runId);
    try (HttpTestClient.EventStream replay = client.stream("GET", "/admin/apps/shop/builder/runs/" + runId + "/events", null,
        Map.of("Last-Event-ID", "2"))) {
      List<HttpTestClient.Frame> rest = replay.rest();
      assertThat(rest.get(0).id()).isEqualTo(3);
      assertThat(rest.get(rest.size() - 1).event()).isEqualTo("run_completed");
    }
    assertThat(client.call("GET", preview("shop") + "index.html").text()).contains("Counter");
  }

  @Test
  void aDevServerRuntimeGetsAppsWithPackageJsonWhileStaticAppsKeepTheStaticPreview() {
    List<String> started = new ArrayList<>();
    io.chatbuilder.core.runtime.DraftRuntime devServer = new io.chatbuilder.core.runtime.DraftRuntime() {
      @Override
      public io.chatbuilder.core.runtime.DraftStatus start(String appId, io.chatbuilder.core.runtime.StatusListener listener) {
        started.add(appId);
        return status(appId);
      }

      @Override
      public io.chatbuilder.core.runtime.DraftStatus status(String appId) {
        return new io.chatbuilder.core.runtime.DraftStatus(appId, io.chatbuilder.core.runtime.DraftState.RUNNING,
            Optional.of("http://127.0.0.1:5173/"), List.of(), Optional.empty(), 0, java.time.Instant.EPOCH);
      }

      @Override
      public void stop(String appId) { }

      @Override
      public void close() { }
    };
    io.chatbuilder.core.runtime.AppTemplate withPackageJson = new io.chatbuilder.core.runtime.AppTemplate() {
      @Override
      public String id() {
        return "node-app";
      }

      @Override
      public String description() {
        return "an app with a package.json";
      }

      @Override
      public java.util.SortedMap<String, byte[]> files() {
        return new java.util.TreeMap<>(Map.of("package.json", "{}".getBytes(StandardCharsets.UTF_8),
            "index.html", "<h1>Node</h1>".getBytes(StandardCharsets.UTF_8)));
      }
    };
    start(Studio.builder(data).model(new DemoModel(Duration.ZERO)).draftRuntime(devServer).template(withPackageJson));
    createApp("plain");
    assertThat(client.call("POST", "/admin/apps", json("app_id", "node", "template_id", "node-app")).status()).isEqualTo(201);

    assertThat(client.call("POST", "/admin/apps/node/builder/draft").json().get("preview_url").asText())
        .isEqualTo("http://127.0.0.1:5173/");
    assertThat(client.call("POST", "/admin/apps/plain/builder/draft").json().get("preview_url").asText())
        .startsWith("http://127.0.0.1:").isNotEqualTo("http://127.0.0.1:5173/");
    assertThat(started).containsExactly("node");
    assertThat(client.call("GET", "/admin/studio").json().get("draft_mode").asText()).isEqualTo("dev-server");
  }

  @Test
  void anUnisolatedStudioSaysSoInItsApi() {
    start(Studio.builder(data).model(new DemoModel(Duration.ZERO)).unisolated());
    createApp("plain");
    JsonNode info = client.call("GET", "/admin/studio").json();
    assertThat(info.get("isolated").asBoolean()).isFalse();
    assertThat(info.get("isolation_warning").asText()).contains("not isolated");
    assertThat(studio.isolated()).isFalse();
    assertThat(((io.chatbuilder.sandbox.local.LocalSandbox) studio.chatBuilder().sandbox("plain")).isolated()).isFalse();
  }

  @Test
  void viteAppsRunTheirDevServerAndBuildInsideTheSandbox() throws Exception {
    requireBubblewrap();
    start(Studio.builder(data).model(new DemoModel(Duration.ZERO)).vite());
    HttpTestClient.Reply created = client.call("POST", "/admin/apps", json("app_id", "site", "template_id", "vite-vanilla"));
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    assertThat(client.call("GET", "/admin/studio").json().get("draft_mode").asText()).isEqualTo("dev-server");

    JsonNode draft = client.call("POST", "/admin/apps/site/builder/draft").json();
    assertThat(draft.get("state").asText()).as(draft.toString()).isEqualTo("running");
    String preview = draft.get("preview_url").asText();
    HttpTestClient.Reply page = new HttpTestClient(java.net.URI.create(preview)).call("GET", "/");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.text()).contains("/@vite/client");
    assertThat(draft.get("log_tail").toString()).contains("VITE v7");

    JsonNode published = client.call("POST", "/admin/apps/site/builder/publish").json();
    assertThat(published.get("success").asBoolean()).as(published.toString()).isTrue();
    assertThat(published.get("build_log").asText()).contains("[chatbuilder] vite build");
    HttpTestClient.Reply site = new HttpTestClient(studio.siteOrigin("site")).call("GET", published.get("site_url").asText());
    assertThat(site.status()).isEqualTo(200);
    assertThat(site.text()).contains("<div id=\"app\"></div>");
  }

  /** Skips where bubblewrap cannot run a command, except under {@code CI=true}, where it fails. */
  private void requireBubblewrap() throws Exception {
    java.nio.file.Path probe = java.nio.file.Files.createDirectories(data.resolve("bwrap-probe"));
    String reason;
    try (io.chatbuilder.sandbox.local.LocalSandbox sandbox = io.chatbuilder.sandbox.local.LocalSandbox.builder(probe).build()) {
      io.chatbuilder.core.sandbox.CommandResult r = sandbox.run(io.chatbuilder.core.sandbox.CommandRequest.of("node", "-e", "0"),
          io.chatbuilder.core.sandbox.CommandListener.NONE, new io.chatbuilder.core.Cancellation());
      if (r.succeeded() && r.isolated()) {
        return;
      }
      reason = "node did not run isolated: " + r.stderr();
    } catch (io.chatbuilder.core.ChatBuilderException e) {
      reason = e.getMessage();
    }
    reason = "the Vite studio test needs bubblewrap, socat and node: " + reason;
    if ("true".equals(System.getenv("CI"))) {
      org.assertj.core.api.Assertions.fail("CI=true but " + reason);
    }
    org.junit.jupiter.api.Assumptions.abort(reason);
  }

  @Test
  void cancelStopsTheRunAndTheStreamEndsWithRunCancelled() {
    ScriptedModel model = ScriptedModel.builder().turn(t -> t.text("Thinking ").holdUntilCancelled()).build();
    start(Studio.builder(data).model(model));
    createApp("shop");
    try (HttpTestClient.EventStream stream = client.stream("POST", "/admin/apps/shop/builder/chat/stream",
        json("message", "think forever"), Map.of())) {
      String runId = stream.response.header("X-Run-Id");
      assertThat(stream.next().orElseThrow().event()).isEqualTo("run_started");
      assertThat(stream.next().orElseThrow().event()).isEqualTo("assistant_delta");
      JsonNode cancelled = client.call("POST", "/admin/apps/shop/builder/cancel").json();
      assertThat(cancelled.get("cancelled").asBoolean()).isTrue();
      assertThat(cancelled.get("run_id").asText()).isEqualTo(runId);
      List<HttpTestClient.Frame> rest = stream.rest();
      assertThat(rest.get(rest.size() - 1).event()).isEqualTo("run_cancelled");
    }
    studio.chatBuilder().activeRun("shop").ifPresent(r -> r.completion().join());
    assertThat(client.call("POST", "/admin/apps/shop/builder/cancel").json().get("cancelled").asBoolean()).isFalse();
  }
}
