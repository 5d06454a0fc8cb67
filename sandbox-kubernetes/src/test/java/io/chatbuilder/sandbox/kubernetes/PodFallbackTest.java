package io.chatbuilder.sandbox.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.TimeoutException;
import io.chatbuilder.core.sandbox.Sandbox;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fallback without the agent-sandbox CRDs: a plain Pod and a headless Service per app, on the
 * CRUD mock server, with a simulated kubelet that marks pods Ready at a real {@link SandboxHost}'s
 * address (status.podIP).
 */
class PodFallbackTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  /** Runs the single fallback "node": one pod at a time on 127.0.0.9. */
  private static final class Kubelet implements AutoCloseable {
    private final SimulatedCluster cluster;
    private final SimulatedController.Slot slot;
    private final Watch watch;

    Kubelet(SimulatedCluster cluster) {
      this.cluster = cluster;
      this.slot = new SimulatedController.Slot("127.0.0.9", () -> cluster.startHost("127.0.0.9"));
      this.watch = cluster.client.pods().inNamespace(SimulatedCluster.NAMESPACE).withLabel(KubernetesSandboxProvider.POD_LABEL)
          .watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Pod pod) {
              synchronized (slot) {
                String name = pod.getMetadata().getName();
                if (action == Action.ADDED && slot.claim == null) {
                  slot.claim = name;
                  pod.setStatus(new PodStatusBuilder().withPhase("Running").withPodIP(slot.address)
                      .withConditions(new PodConditionBuilder().withType("Ready").withStatus("True").build()).build());
                  cluster.client.pods().inNamespace(SimulatedCluster.NAMESPACE).resource(pod).updateStatus();
                } else if (action == Action.DELETED && name.equals(slot.claim)) {
                  slot.host.close();
                  slot.host = slot.start.get();
                  slot.claim = null;
                }
              }
            }

            @Override
            public void onClose(WatcherException cause) {}
          });
    }

    boolean free() {
      synchronized (slot) {
        return slot.claim == null;
      }
    }

    @Override
    public void close() {
      watch.close();
      slot.host.close();
    }
  }

  private static PodSpec hostSpec() {
    return new PodSpecBuilder().withAutomountServiceAccountToken(false)
        .withContainers(new ContainerBuilder().withName("sandbox-host").withImage("registry.example/chatbuilder-sandbox-host:0.1.0").build())
        .build();
  }

  @Test
  void aPodAndServicePerAppCreatedReattachedLostAndReleased() throws Exception {
    SimulatedCluster.requireIsolation(dir);
    try (SimulatedCluster cluster = new SimulatedCluster(dir, 0); Kubelet kubelet = new Kubelet(cluster)) {
      cluster.dispatcher.drain();
      KubernetesSandboxProvider first = cluster.start(cluster.provider("host-a").podFallback(hostSpec()).readyTimeout(Duration.ofSeconds(3)));
      Sandbox shop = first.open("shop");
      shop.write("index.html", "<h1>shop</h1>\n".getBytes(StandardCharsets.UTF_8));
      String name = KubernetesSandboxProvider.claimName("shop");

      List<SimulatedCluster.Recorded> requests = cluster.dispatcher.drain();
      JsonNode pod = body(requests, "/api/v1/namespaces/builders/pods");
      assertThat(pod.get("kind").asText()).isEqualTo("Pod");
      assertThat(pod.get("metadata").get("labels").get(KubernetesSandboxProvider.POD_LABEL).asText()).isEqualTo(name);
      assertThat(pod.get("metadata").get("labels").get(KubernetesSandboxProvider.APP_LABEL).asText()).isEqualTo("shop");
      assertThat(pod.get("spec").get("containers").get(0).get("image").asText()).isEqualTo("registry.example/chatbuilder-sandbox-host:0.1.0");
      assertThat(pod.get("spec").get("automountServiceAccountToken").asBoolean()).isFalse();
      assertThat(pod.toString()).doesNotContain("token\":\""); // the token is handed over, not in the pod
      JsonNode service = body(requests, "/api/v1/namespaces/builders/services");
      assertThat(service.get("spec").get("clusterIP").asText()).isEqualTo("None");
      assertThat(service.get("spec").get("selector").toString()).isEqualTo("{\"" + KubernetesSandboxProvider.POD_LABEL + "\":\"" + name + "\"}");
      assertThat(service.get("spec").get("ports").findValuesAsText("port")).containsExactly(
          String.valueOf(cluster.serverPort), String.valueOf(cluster.attachPort), String.valueOf(cluster.previewPort));
      JsonNode secret = body(requests, "/api/v1/namespaces/builders/secrets");
      assertThat(secret.get("metadata").get("ownerReferences").get(0).get("kind").asText()).isEqualTo("Pod");
      assertThat(cluster.claims()).isEmpty(); // no CRDs used

      // A restarted host re-attaches to the same pod.
      String uid = cluster.client.pods().inNamespace(SimulatedCluster.NAMESPACE).withName(name).get().getMetadata().getUid();
      KubernetesSandboxProvider second = cluster.start(cluster.provider("host-b").podFallback(hostSpec()).readyTimeout(Duration.ofSeconds(3)));
      Sandbox again = second.open("shop");
      assertThat(again.read("index.html").text()).contains("<h1>shop</h1>\n");
      assertThat(cluster.client.pods().inNamespace(SimulatedCluster.NAMESPACE).withName(name).get().getMetadata().getUid()).isEqualTo(uid);

      // No node free for a second app: a clear error in time, and nothing left behind.
      assertThatThrownBy(() -> second.open("blog")).isInstanceOf(TimeoutException.class)
          .hasMessageContaining("the Pod " + KubernetesSandboxProvider.claimName("blog") + " was not Ready after 3000 ms")
          .hasMessageContaining("the pod was withdrawn");
      assertThat(cluster.client.pods().inNamespace(SimulatedCluster.NAMESPACE).withName(KubernetesSandboxProvider.claimName("blog")).get()).isNull();
      assertThat(cluster.client.services().inNamespace(SimulatedCluster.NAMESPACE).withName(KubernetesSandboxProvider.claimName("blog")).get()).isNull();

      // The pod is deleted under a fenced view: it fails naming the pod.
      Sandbox fenced = again.fenced(1);
      cluster.client.pods().inNamespace(SimulatedCluster.NAMESPACE).withName(name).delete();
      await(() -> !second.bound(name) && kubelet.free());
      assertThatThrownBy(() -> fenced.write("b.txt", new byte[] {1})).isInstanceOf(SandboxException.class)
          .hasMessageContaining("its Pod " + name + " was deleted");
      // The next lease gets a new pod and Service.
      Sandbox renewed = again.fenced(2);
      renewed.write("c.txt", "c".getBytes(StandardCharsets.UTF_8));
      assertThat(cluster.client.pods().inNamespace(SimulatedCluster.NAMESPACE).withName(name).get().getMetadata().getUid()).isNotEqualTo(uid);

      // Closing (as host-b attached last) releases pod, Service and Secret.
      shop.close(); // host-a's late close releases nothing
      assertThat(cluster.client.pods().inNamespace(SimulatedCluster.NAMESPACE).withName(name).get()).isNotNull();
      again.close();
      assertThat(cluster.client.pods().inNamespace(SimulatedCluster.NAMESPACE).withName(name).get()).isNull();
      assertThat(cluster.client.services().inNamespace(SimulatedCluster.NAMESPACE).withName(name).get()).isNull();
      assertThat(cluster.client.secrets().inNamespace(SimulatedCluster.NAMESPACE).withName(name + "-token").get()).isNull();
    }
  }

  private static JsonNode body(List<SimulatedCluster.Recorded> requests, String path) throws Exception {
    List<SimulatedCluster.Recorded> hits = requests.stream()
        .filter(r -> r.fromProvider() && r.method().equals("POST") && r.path().equals(path)).toList();
    assertThat(hits).as("POST " + path).hasSize(1);
    return JSON.readTree(hits.get(0).body());
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("gave up waiting");
      }
      Thread.sleep(20);
    }
  }
}
