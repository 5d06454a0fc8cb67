package io.chatbuilder.sandbox.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.TimeoutException;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.InMemoryCheckpointStore;
import io.chatbuilder.core.checkpoint.InMemoryLeaseStore;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.PublishResult;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.runtime.vite.VitePublisher;
import io.chatbuilder.runtime.vite.ViteTemplates;
import io.chatbuilder.sandbox.kubernetes.crd.SandboxClaim;
import io.chatbuilder.sandbox.local.LocalSandbox;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ChatBuilder on sandboxes claimed from a (simulated) agent-sandbox warm pool, end to end: the
 * facade, the provider, fabric8's CRUD mock API server, the simulated controller, and real
 * {@link SandboxHost}s (sandbox-remote's server, bubblewrap-isolated sandboxes, Vite) on 127.0.0.N.
 */
class KubernetesEndToEndTest {
  @TempDir Path dir;
  private SimulatedCluster cluster;
  private final List<ChatBuilder> facades = new ArrayList<>();
  private final InMemoryCheckpointStore store = new InMemoryCheckpointStore();
  private final InMemoryLeaseStore leases = new InMemoryLeaseStore();

  @BeforeEach
  void requireIsolation() {
    SimulatedCluster.requireIsolation(dir);
  }

  @AfterEach
  void stop() {
    facades.forEach(ChatBuilder::close);
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void createChatPreviewUndoPublishThenCloseReleasesTheClaim() throws Exception {
    cluster = new SimulatedCluster(dir, 2);
    KubernetesSandboxProvider provider = cluster.start(cluster.provider("host-a").seedFrom(store));
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", "{\"path\":\"public/hello.txt\",\"content\":\"Hello from the cluster\\n\"}"))
        .turn(t -> t.text("Added hello.txt."))
        .build();
    ChatBuilder chat = facade(ChatBuilder.builder().model(model).sandboxes(provider).draftRuntime(provider.draftRuntime())
        .template(ViteTemplates.vanilla())
        .publisher(VitePublisher.builder(dir.resolve("publishes"),
            (appId, d) -> SimulatedCluster.configure(LocalSandbox.builder(d).id(appId + "-publish")).build()).build()));

    Checkpoint initial = chat.createApp("shop", ViteTemplates.vanilla().id());
    assertThat(initial.type()).isEqualTo(CheckpointType.INITIAL);
    String claim = KubernetesSandboxProvider.claimName("shop");
    assertThat(cluster.claims()).extracting(c -> c.getMetadata().getName()).containsExactly(claim);

    RunResult run = chat.chat("shop", "Say hello").completion().get(120, TimeUnit.SECONDS);
    assertThat(run.outcome()).isEqualTo(RunOutcome.COMPLETED);
    assertThat(run.checkpoint()).isPresent();
    // The file is in the pod's sandbox, on the sandbox host.
    SandboxHost pod = cluster.controller.hostOf(claim);
    assertThat(pod.attachedApp()).contains("shop");

    DraftStatus draft = chat.startDraft("shop", StatusListener.NONE);
    assertThat(draft.state()).as(String.join("\n", draft.logTail()) + draft.error()).isEqualTo(DraftState.RUNNING);
    URI preview = URI.create(draft.previewUrl().orElseThrow());
    assertThat(preview.getHost()).isEqualTo("127.0.0.1"); // the Sandbox's status.serviceFQDN
    assertThat(preview.getPort()).isEqualTo(cluster.previewPort); // through the pod's preview forwarder
    assertThat(get(preview.resolve("/hello.txt"))).isEqualTo("Hello from the cluster\n");

    Checkpoint undo = chat.undo("shop");
    assertThat(undo.type()).isEqualTo(CheckpointType.UNDO);
    assertThat(chat.sandbox("shop").tryRead("public/hello.txt")).isEmpty();

    PublishResult published = chat.publish("shop", StatusListener.NONE);
    assertThat(published.success()).as("%s\n%s", published.error().orElse(""), published.buildLog()).isTrue();
    assertThat(published.checkpointId()).isEqualTo(undo.id());

    chat.stopDraft("shop");
    chat.close();
    facades.clear();
    assertThat(cluster.claims()).isEmpty();
    assertThat(cluster.client.secrets().inNamespace(SimulatedCluster.NAMESPACE).withName(claim + "-token").get()).isNull();
    await(() -> cluster.controller.released(claim), "the controller to stop the released pod");
  }

  @Test
  void anIdleSandboxReleasesItsClaimAndTheNextChatClaimsAgain() throws Exception {
    cluster = new SimulatedCluster(dir, 2);
    KubernetesSandboxProvider provider = cluster.start(cluster.provider("host-a").seedFrom(store));
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", "{\"path\":\"a.txt\",\"content\":\"a\\n\"}"))
        .turn(t -> t.text("Wrote a."))
        .turn(t -> t.toolCall("write_file", "{\"path\":\"b.txt\",\"content\":\"b\\n\"}"))
        .turn(t -> t.text("Wrote b."))
        .build();
    ChatBuilder chat = facade(builder(model).sandboxes(provider).sandboxIdleTimeout(Duration.ofMillis(400)));
    assertThat(chat.chat("idle", "write a").completion().get(120, TimeUnit.SECONDS).outcome()).isEqualTo(RunOutcome.COMPLETED);
    String claim = KubernetesSandboxProvider.claimName("idle");
    String firstUid = claimNamed(claim).getMetadata().getUid();
    // Nobody holds the sandbox now: the facade's idle sweep closes it, which releases the claim.
    await(() -> cluster.claims().isEmpty(), "the idle sandbox's claim to be released");
    await(() -> cluster.controller.released(claim), "the controller to stop the released pod");

    RunResult run = chat.chat("idle", "write b").completion().get(120, TimeUnit.SECONDS);
    assertThat(run.outcome()).isEqualTo(RunOutcome.COMPLETED);
    assertThat(cluster.claims()).singleElement().satisfies(c -> assertThat(c.getMetadata().getUid()).isNotEqualTo(firstUid));
    // The new pod was seeded from the store: the first run's file is there with the second's.
    assertThat(chat.sandbox("idle").files()).containsOnlyKeys("a.txt", "b.txt");
  }

  @Test
  void aRestartedHostReattachesToTheSameClaim() throws Exception {
    cluster = new SimulatedCluster(dir, 2);
    KubernetesSandboxProvider first = cluster.start(cluster.provider("host-a").seedFrom(store));
    ChatBuilder before = facade(builder(writes("a.txt")).sandboxes(first));
    assertThat(before.chat("blog", "write a").completion().get(60, TimeUnit.SECONDS).outcome()).isEqualTo(RunOutcome.COMPLETED);
    String claim = KubernetesSandboxProvider.claimName("blog");
    String uid = claimNamed(claim).getMetadata().getUid();

    // The host restarts (the old process has not even closed yet): a new provider and facade.
    KubernetesSandboxProvider second = cluster.start(cluster.provider("host-b").seedFrom(store));
    ChatBuilder after = facade(builder(writes("b.txt")).sandboxes(second));
    RunResult r = after.chat("blog", "write b").completion().get(60, TimeUnit.SECONDS);
    assertThat(r.outcome()).isEqualTo(RunOutcome.COMPLETED);
    assertThat(cluster.claims()).hasSize(1);
    SandboxClaim same = claimNamed(claim);
    assertThat(same.getMetadata().getUid()).isEqualTo(uid);
    assertThat(same.getMetadata().getAnnotations()).containsEntry(KubernetesSandboxProvider.HOLDER_ANNOTATION, "host-b");
    assertThat(cluster.controller.timesBound(claim)).isEqualTo(1);
    assertThat(after.sandbox("blog").files()).containsOnlyKeys("a.txt", "b.txt");

    // The old host closing late does not release a claim the new one holds.
    before.close();
    facades.remove(before);
    assertThat(claimNamed(claim)).isNotNull();
    assertThat(after.sandbox("blog").read("a.txt").text()).contains("a\n");
  }

  @Test
  void aClaimDeletedMidRunFailsTheRunAndTheNextChatClaimsAgain() throws Exception {
    cluster = new SimulatedCluster(dir, 1);
    KubernetesSandboxProvider provider = cluster.start(cluster.provider("host-a").seedFrom(store));
    String claim = KubernetesSandboxProvider.claimName("docs");
    AtomicInteger calls = new AtomicInteger();
    java.util.concurrent.atomic.AtomicReference<String> firstUid = new java.util.concurrent.atomic.AtomicReference<>();
    Function<ModelRequest, Optional<ScriptedModel.Turn>> script = request -> {
      switch (calls.incrementAndGet()) {
        case 1:
          firstUid.set(claimNamed(claim).getMetadata().getUid());
          return turn(t -> t.toolCall("write_file", "{\"path\":\"a.txt\",\"content\":\"a\\n\"}"));
        case 2:
          // The claim goes away while the run is between two tool calls.
          cluster.client.resources(SandboxClaim.class).inNamespace(SimulatedCluster.NAMESPACE).withName(claim).delete();
          await(() -> cluster.controller.released(claim) && !provider.bound(claim), "the deletion to reach controller and provider");
          return turn(t -> t.toolCall("write_file", "{\"path\":\"b.txt\",\"content\":\"b\\n\"}"));
        case 3:
          return turn(t -> t.text("Done."));
        case 4:
          return turn(t -> t.toolCall("write_file", "{\"path\":\"c.txt\",\"content\":\"c\\n\"}"));
        default:
          return turn(t -> t.text("Done again."));
      }
    };
    ChatBuilder chat = facade(ChatBuilder.builder().model(ScriptedModel.responding(script)).sandboxes(provider)
        .checkpointStore(store).leaseStore(leases));
    RunHandle handle = chat.chat("docs", "write a and b");
    RunResult failed = handle.completion().get(60, TimeUnit.SECONDS);
    assertThat(failed.outcome()).isEqualTo(RunOutcome.FAILED);
    List<Event> events = handle.events();
    assertThat(events).filteredOn(e -> e instanceof Event.ToolFailed).singleElement()
        .satisfies(e -> assertThat(((Event.ToolFailed) e).error()).contains("SandboxClaim " + claim + " was deleted"));
    assertThat(events.get(events.size() - 1)).isInstanceOfSatisfying(Event.RunFailed.class,
        e -> assertThat(e.error()).contains("SandboxClaim " + claim + " was deleted"));
    assertThat(cluster.claims()).isEmpty();

    RunResult again = chat.chat("docs", "write c").completion().get(60, TimeUnit.SECONDS);
    assertThat(again.outcome()).as(again.error().orElse("")).isEqualTo(RunOutcome.COMPLETED);
    assertThat(cluster.controller.timesBound(claim)).isEqualTo(2);
    assertThat(cluster.claims()).singleElement().satisfies(c -> assertThat(c.getMetadata().getUid()).isNotEqualTo(firstUid.get()));
    // a.txt died with the first pod before any checkpoint recorded it; c.txt is on the new one.
    assertThat(chat.sandbox("docs").files()).containsOnlyKeys("c.txt");
    assertThat(again.checkpoint()).isPresent();
  }

  @Test
  void anExhaustedPoolGivesAClearErrorWithinTheDeadlineAndWithdrawsTheClaim() {
    cluster = new SimulatedCluster(dir, 1);
    KubernetesSandboxProvider provider = cluster.start(cluster.provider("host-a").readyTimeout(Duration.ofSeconds(2)));
    Sandbox first = provider.open("one");
    first.write("x.txt", "x".getBytes(StandardCharsets.UTF_8));

    String second = KubernetesSandboxProvider.claimName("two");
    assertThatThrownBy(() -> provider.open("two"))
        .isInstanceOf(TimeoutException.class)
        .hasMessageContaining("no sandbox for app two: the SandboxClaim " + second + " was not Ready after 2000 ms")
        .hasMessageContaining("the SandboxWarmPool chatbuilder-pool has 0 of 1 sandboxes ready (the pool is exhausted)")
        .hasMessageContaining("the claim was withdrawn");
    assertThat(claimNamed(second)).isNull();

    // Releasing the first (closing it, as the facade does when it is idle) frees the pod.
    first.close();
    assertThat(claimNamed(KubernetesSandboxProvider.claimName("one"))).isNull();
    Sandbox two = provider.open("two");
    assertThat(two.files()).isEmpty(); // a fresh pod: nothing of app one
    two.close();
  }

  @Test
  void aCallFailingOnAVanishedPodIsReportedAsLostEvenIfTheWatchMissedTheDeletion() {
    cluster = new SimulatedCluster(dir, 1);
    KubernetesSandboxProvider provider = cluster.start(cluster.provider("host-a"));
    Sandbox sandbox = provider.open("wiki");
    Sandbox view = sandbox.fenced(1);
    view.write("a.txt", "a".getBytes(StandardCharsets.UTF_8));
    provider.stopWatching();
    String claim = KubernetesSandboxProvider.claimName("wiki");
    cluster.client.resources(SandboxClaim.class).inNamespace(SimulatedCluster.NAMESPACE).withName(claim).delete();
    await(() -> cluster.controller.released(claim), "the controller to stop the pod");
    // A fresh pod now answers at the old address and refuses the old token: that is checked
    // against the API server and reported as the lost claim, not as a bare 403.
    assertThatThrownBy(() -> view.write("b.txt", "b".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("the sandbox of app wiki is gone: its SandboxClaim " + claim + " was deleted");
    assertThatThrownBy(sandbox::files).isInstanceOf(SandboxException.class).hasMessageContaining("is gone");
    assertThat(provider.bound(claim)).isFalse();
  }

  @Test
  void aWrongBootstrapTokenIsRefusedClearly() {
    cluster = new SimulatedCluster(dir, 1);
    KubernetesSandboxProvider provider = cluster.start(KubernetesSandboxProvider.builder(cluster.client,
            SimulatedCluster.NAMESPACE, SimulatedCluster.TEMPLATE, "not-the-pool-secret-0123456789")
        .warmPool(SimulatedCluster.POOL).serverPort(cluster.serverPort).attachPort(cluster.attachPort));
    assertThatThrownBy(() -> provider.open("shop"))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("refused the bootstrap token");
  }

  private ChatBuilder.Builder builder(ScriptedModel model) {
    return ChatBuilder.builder().model(model).checkpointStore(store).leaseStore(leases);
  }

  private ChatBuilder facade(ChatBuilder.Builder b) {
    ChatBuilder c = b.build();
    facades.add(c);
    return c;
  }

  private static ScriptedModel writes(String path) {
    return ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", "{\"path\":\"" + path + "\",\"content\":\"" + path.charAt(0) + "\\n\"}"))
        .turn(t -> t.text("Wrote " + path + "."))
        .build();
  }

  private static Optional<ScriptedModel.Turn> turn(java.util.function.Consumer<ScriptedModel.TurnBuilder> t) {
    ScriptedModel.TurnBuilder b = ScriptedModel.Turn.builder();
    t.accept(b);
    return Optional.of(b.build());
  }

  private SandboxClaim claimNamed(String name) {
    return cluster.client.resources(SandboxClaim.class).inNamespace(SimulatedCluster.NAMESPACE).withName(name).get();
  }

  /** Waits for a condition another thread makes true (bounded; not a timing assertion). */
  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("gave up waiting for " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private static String get(URI uri) throws Exception {
    HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(uri.toString()).isEqualTo(200);
    return r.body();
  }
}
