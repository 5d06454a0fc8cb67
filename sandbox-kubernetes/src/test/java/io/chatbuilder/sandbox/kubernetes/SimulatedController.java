package io.chatbuilder.sandbox.kubernetes;

import io.chatbuilder.sandbox.kubernetes.crd.AgentSandbox;
import io.chatbuilder.sandbox.kubernetes.crd.AgentSandboxApi;
import io.chatbuilder.sandbox.kubernetes.crd.AgentSandboxStatus;
import io.chatbuilder.sandbox.kubernetes.crd.SandboxClaim;
import io.chatbuilder.sandbox.kubernetes.crd.SandboxClaimStatus;
import io.chatbuilder.sandbox.kubernetes.crd.SandboxTemplateRef;
import io.chatbuilder.sandbox.kubernetes.crd.SandboxWarmPool;
import io.chatbuilder.sandbox.kubernetes.crd.SandboxWarmPoolSpec;
import io.chatbuilder.sandbox.kubernetes.crd.SandboxWarmPoolStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A small stand-in for agent-sandbox's controllers, on the CRUD mock server: a warm pool of
 * sandbox "pods" (real {@link SandboxHost}s on 127.0.0.N); a new claim gets a free one (a
 * {@code Sandbox} object whose status points at the host, the claim's status Ready and naming it),
 * or waits while the pool is empty; a deleted claim's pod is stopped and replaced by a fresh, empty
 * one, as a warm pool refills.
 */
final class SimulatedController implements AutoCloseable {
  /** One warm pod: its address and how to start a fresh host there. */
  static final class Slot {
    final String address;
    final Supplier<SandboxHost> start;
    SandboxHost host;
    String claim; // null: free

    Slot(String address, Supplier<SandboxHost> start) {
      this.address = address;
      this.start = start;
      this.host = start.get();
    }
  }

  private final KubernetesClient client;
  private final String namespace;
  private final String pool;
  private final List<Slot> slots;
  private final Deque<String> pending = new ArrayDeque<>();
  private final Map<String, Integer> boundCount = new HashMap<>();
  private final Set<String> released = ConcurrentHashMap.newKeySet();
  private final Watch watch;

  SimulatedController(KubernetesClient client, String namespace, String template, String pool, List<Slot> slots) {
    this.client = client;
    this.namespace = namespace;
    this.pool = pool;
    this.slots = new ArrayList<>(slots);
    SandboxWarmPool p = new SandboxWarmPool();
    p.setMetadata(new ObjectMetaBuilder().withName(pool).withNamespace(namespace).build());
    p.setSpec(new SandboxWarmPoolSpec(slots.size(), new SandboxTemplateRef(template)));
    client.resources(SandboxWarmPool.class).inNamespace(namespace).resource(p).create();
    publishPoolStatus();
    this.watch = client.resources(SandboxClaim.class).inNamespace(namespace).watch(new Watcher<>() {
      @Override
      public void eventReceived(Action action, SandboxClaim claim) {
        synchronized (SimulatedController.this) {
          String name = claim.getMetadata().getName();
          if (action == Action.ADDED) {
            pending.add(name);
            assignPending();
          } else if (action == Action.DELETED) {
            pending.remove(name);
            release(name);
            assignPending();
          }
        }
      }

      @Override
      public void onClose(WatcherException cause) {}
    });
  }

  private void assignPending() {
    while (!pending.isEmpty()) {
      Slot free = slots.stream().filter(s -> s.claim == null).findFirst().orElse(null);
      if (free == null) {
        publishPoolStatus();
        return;
      }
      String name = pending.poll();
      SandboxClaim claim = client.resources(SandboxClaim.class).inNamespace(namespace).withName(name).get();
      if (claim == null) {
        continue;
      }
      free.claim = name;
      AgentSandbox sandbox = new AgentSandbox();
      sandbox.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
      AgentSandbox created = client.resources(AgentSandbox.class).inNamespace(namespace).resource(sandbox).create();
      created.setStatus(new AgentSandboxStatus(free.address, name, List.of(ready()), 1, null));
      client.resources(AgentSandbox.class).inNamespace(namespace).resource(created).updateStatus();
      claim.setStatus(new SandboxClaimStatus(List.of(ready()), new SandboxClaimStatus.SandboxRef(name)));
      client.resources(SandboxClaim.class).inNamespace(namespace).resource(claim).updateStatus();
      boundCount.merge(name, 1, Integer::sum);
      publishPoolStatus();
    }
    publishPoolStatus();
  }

  private void release(String name) {
    for (Slot s : slots) {
      if (name.equals(s.claim)) {
        s.host.close(); // the pod goes away with its claim
        s.host = s.start.get(); // and the pool refills with a fresh, empty one
        s.claim = null;
        client.resources(AgentSandbox.class).inNamespace(namespace).withName(name).delete();
        released.add(name);
      }
    }
    publishPoolStatus();
  }

  private void publishPoolStatus() {
    SandboxWarmPool p = client.resources(SandboxWarmPool.class).inNamespace(namespace).withName(pool).get();
    if (p == null) {
      return;
    }
    int free = (int) slots.stream().filter(s -> s.claim == null).count();
    p.setStatus(new SandboxWarmPoolStatus(slots.size(), free, List.of()));
    client.resources(SandboxWarmPool.class).inNamespace(namespace).resource(p).updateStatus();
  }

  private static Condition ready() {
    return new ConditionBuilder().withType(AgentSandboxApi.READY).withStatus("True").withReason("SandboxReady")
        .withMessage("simulated").withLastTransitionTime(Instant.now().toString()).build();
  }

  /** The host of the slot bound to a claim. */
  synchronized SandboxHost hostOf(String claim) {
    return slots.stream().filter(s -> claim.equals(s.claim)).findFirst().orElseThrow().host;
  }

  /** How many times a claim of this name was bound to a pod. */
  synchronized int timesBound(String claim) {
    return boundCount.getOrDefault(claim, 0);
  }

  boolean released(String claim) {
    return released.contains(claim);
  }

  @Override
  public synchronized void close() {
    watch.close();
    slots.forEach(s -> s.host.close());
  }
}
