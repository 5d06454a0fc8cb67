package io.chatbuilder.sandbox.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.AppId;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ConflictException;
import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.TimeoutException;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.sandbox.ChangeScan;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SandboxProvider;
import io.chatbuilder.sandbox.kubernetes.crd.AgentSandbox;
import io.chatbuilder.sandbox.kubernetes.crd.AgentSandboxApi;
import io.chatbuilder.sandbox.kubernetes.crd.ClaimLifecycle;
import io.chatbuilder.sandbox.kubernetes.crd.SandboxClaim;
import io.chatbuilder.sandbox.kubernetes.crd.SandboxClaimSpec;
import io.chatbuilder.sandbox.kubernetes.crd.SandboxTemplateRef;
import io.chatbuilder.sandbox.kubernetes.crd.SandboxWarmPool;
import io.chatbuilder.sandbox.remote.RemoteSandbox;
import io.chatbuilder.sandbox.remote.SandboxRegistry;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.KubernetesClientTimeoutException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.PodResource;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sandboxes claimed from a kubernetes-sigs/agent-sandbox warm pool. For an app, {@link #open}
 * creates a {@code SandboxClaim} (named after a hash of the app id, labelled and annotated with
 * it) against the configured {@code SandboxTemplate} and {@code SandboxWarmPool}, waits until the
 * claim is {@code Ready}, hands the sandbox pod a fresh per-app token through the pod's
 * {@link SandboxHost} handover endpoint (the token lives in a Secret owned by the claim, never in
 * the claim), and talks to the pod's {@code SandboxServer} with sandbox-remote's
 * {@link RemoteSandbox} via the sandbox's service address.
 *
 * <ul>
 *   <li>A restarted host finds the app's claim and its Secret and re-attaches; nothing is claimed again.
 *   <li>A sandbox pod that starts empty (a new claim, or a pod the controller replaced) gets the
 *       files of the app's latest checkpoint when a {@link Builder#seedFrom store} is configured.
 *   <li>A claim deleted while in use makes every call of the views handed out before fail with a
 *       {@link SandboxException} naming the claim; the next lease (the next run or history
 *       operation, through {@link Sandbox#fenced}) claims again.
 *   <li>A claim that is not Ready within {@link Builder#readyTimeout} (an exhausted warm pool, a
 *       failing controller) gives a {@link TimeoutException} saying what the pool reported, and the
 *       claim is withdrawn.
 *   <li>Closing a sandbox (the facade does so after its idle timeout, and on close) deletes its
 *       claim, if this host was the last to attach to it; every claim also carries a
 *       {@code lifecycle.shutdownTime} renewed on use, so the controller deletes claims of hosts
 *       that died ({@link Builder#claimTtl}).
 * </ul>
 */
public final class KubernetesSandboxProvider implements SandboxProvider, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesSandboxProvider.class);
  /** Label of every claim this provider makes: the app id, or {@code h-<sha256>} if it is no valid label value. */
  public static final String APP_LABEL = "chatbuilder.io/app";
  /** Annotation with the full app id. */
  public static final String APP_ANNOTATION = "chatbuilder.io/app-id";
  /** Annotation naming the host that attached last; only that host releases the claim. */
  public static final String HOLDER_ANNOTATION = "chatbuilder.io/holder";
  /** Label of a fallback Pod, selected by its Service: the pod's name. */
  public static final String POD_LABEL = "chatbuilder.io/pod";
  private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]");
  private static final MediaType JSON = MediaType.get("application/json");

  private final KubernetesClient client;
  private final String namespace;
  private final String template;
  private final String warmPool;
  private final int serverPort;
  private final int attachPort;
  private final int previewPort;
  private final String bootstrapToken;
  private final Duration readyTimeout;
  private final Duration claimTtl;
  private final Optional<CheckpointStore> seedStore;
  private final Optional<String> previewHost;
  private final PodSpec podSpec; // null: claims (the normal mode)
  private final RetryPolicy retryPolicy;
  private final String hostId;
  private final Clock clock;
  private final OkHttpClient http;
  private final JsonCodec json = new JsonCodec();
  private final SplittableRandom random = new SplittableRandom();
  private final Map<String, Set<Binding>> bindings = new ConcurrentHashMap<>();
  private final Map<String, ClaimedSandbox> draftHeld = new ConcurrentHashMap<>();
  private final Map<String, ClaimedSandbox> opened = new ConcurrentHashMap<>();
  private final KubernetesDraftRuntime drafts;
  private final Watch watch;
  private volatile boolean closed;

  private KubernetesSandboxProvider(Builder b) {
    this.client = b.client;
    this.namespace = b.namespace;
    this.template = b.template;
    this.warmPool = b.warmPool;
    this.serverPort = b.serverPort;
    this.attachPort = b.attachPort;
    this.previewPort = b.previewPort;
    this.bootstrapToken = b.bootstrapToken;
    this.readyTimeout = b.readyTimeout;
    this.claimTtl = b.claimTtl;
    this.seedStore = Optional.ofNullable(b.seedStore);
    this.previewHost = Optional.ofNullable(b.previewHost);
    this.podSpec = b.podSpec;
    this.retryPolicy = b.retryPolicy;
    this.hostId = b.hostId;
    this.clock = b.clock;
    this.http = new OkHttpClient.Builder().callTimeout(b.callTimeout).build();
    this.drafts = new KubernetesDraftRuntime(this);
    try {
      this.watch = podSpec == null
          ? claims().withLabel(APP_LABEL).watch(lossWatcher("SandboxClaim"))
          : client.pods().inNamespace(namespace).withLabel(APP_LABEL).watch(lossWatcher("Pod"));
    } catch (KubernetesClientException e) {
      http.dispatcher().executorService().shutdown();
      throw new SandboxException("cannot watch " + kind() + "s in namespace " + namespace + ": " + e.getMessage(), e);
    }
  }

  /** Marks the bindings of a deleted (or deleting) object lost. */
  private <T extends HasMetadata> Watcher<T> lossWatcher(String kind) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, T object) {
        String name = object.getMetadata().getName();
        String uid = object.getMetadata().getUid();
        if (action == Action.DELETED) {
          lost(name, uid, "its " + kind + " " + name + " was deleted");
        } else if (object.getMetadata().getDeletionTimestamp() != null) {
          lost(name, uid, "its " + kind + " " + name + " is being deleted");
        }
      }

      @Override
      public void onClose(WatcherException cause) {
        LOG.warn("the watch of {}s in {} closed: {}", kind, namespace, cause.toString());
      }
    };
  }

  /** A provider claiming sandboxes of {@code template} in {@code namespace}; {@code bootstrapToken} is the pool's handover secret. */
  public static Builder builder(KubernetesClient client, String namespace, String template, String bootstrapToken) {
    return new Builder(client, namespace, template, bootstrapToken);
  }

  @Override
  public Sandbox open(String appId) {
    AppId.check(appId);
    checkOpen();
    ClaimedSandbox sandbox = new ClaimedSandbox(this, appId, bind(appId));
    opened.put(appId, sandbox);
    return sandbox;
  }

  /**
   * Draft mode in the claimed sandboxes: the dev server runs on the sandbox pod (its
   * {@link SandboxHost}'s draft runtime); preview URLs point at the sandbox's service, or at the
   * configured {@link Builder#previewHost ingress host}. Closed with this provider.
   */
  public DraftRuntime draftRuntime() {
    return drafts;
  }

  /** The name of the claim of an app: {@code cb-} and 24 hex digits of the SHA-256 of its id. */
  public static String claimName(String appId) {
    return "cb-" + SandboxHost.sha256Hex(appId).substring(0, 24);
  }

  /** The value of {@link #APP_LABEL} for an app. */
  public static String labelValue(String appId) {
    return LABEL_VALUE.matcher(appId).matches() ? appId : "h-" + SandboxHost.sha256Hex(appId).substring(0, 40);
  }

  // ---- binding a claim ------------------------------------------------------------------

  /** Finds or creates the app's claim, waits for it, hands over the token and connects. */
  Binding bind(String appId) {
    Objects.requireNonNull(appId, "appId == null");
    checkOpen();
    String name = claimName(appId);
    Target target = podSpec == null ? claimTarget(appId, name) : podTarget(appId, name);
    String host = target.host();
    String sandboxName = target.sandboxName();
    String token = token(target);
    boolean fresh = attach(host, appId, token, name);
    String baseUrl = "http://" + host + ":" + serverPort;
    RemoteSandbox remote = RemoteSandbox.builder(baseUrl, appId, token).client(http).retryPolicy(retryPolicy).build();
    Binding binding = new Binding(appId, name, target.owner().getMetadata().getUid(), sandboxName, host, baseUrl, token, remote);
    bindings.computeIfAbsent(name, k -> ConcurrentHashMap.newKeySet()).add(binding);
    try {
      if (fresh) {
        seed(appId, remote);
      }
      patch(name, Map.of("metadata", Map.of("annotations", Map.of(HOLDER_ANNOTATION, hostId))));
    } catch (RuntimeException e) {
      forget(binding);
      remote.close();
      throw e;
    }
    binding.renewed = clock.instant();
    LOG.info("app {} is on {} {} ({}){}", appId, target.kind(), sandboxName, host, fresh ? ", handed over" : ", re-attached");
    return binding;
  }

  /** What a binding is made on: the owner of the token Secret, and where the pod's servers listen. */
  private record Target(HasMetadata owner, String apiVersion, String kind, String sandboxName, String host) {}

  private Target claimTarget(String appId, String name) {
    Resource<SandboxClaim> ref = claims().withName(name);
    SandboxClaim claim = k8s("read the claim " + name, ref::get);
    if (claim != null && claim.getMetadata().getDeletionTimestamp() != null) {
      awaitGone(ref, "SandboxClaim " + name);
      claim = null;
    }
    if (claim != null && !appId.equals(annotation(claim, APP_ANNOTATION))) {
      throw new ConflictException("the SandboxClaim " + name + " in " + namespace + " belongs to app '"
          + annotation(claim, APP_ANNOTATION) + "', not to '" + appId + "'");
    }
    boolean created = false;
    if (claim == null) {
      try {
        claim = claims().resource(newClaim(appId, name)).create();
        created = true;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw new SandboxException("cannot create the SandboxClaim " + name + " for app " + appId + ": " + e.getMessage(), e);
        }
        claim = k8s("read the claim " + name, ref::get); // another host created it first: use theirs
        if (claim == null) {
          throw new SandboxException("the SandboxClaim " + name + " of app " + appId + " vanished while it was being created");
        }
      }
    }
    SandboxClaim ready = awaitReady(ref, name, appId, created);
    String sandboxName = ready.getStatus().sandboxName().orElseThrow();
    AgentSandbox sandbox = k8s("read the Sandbox " + sandboxName,
        () -> client.resources(AgentSandbox.class).inNamespace(namespace).withName(sandboxName).get());
    if (sandbox == null) {
      throw new SandboxException("the SandboxClaim " + name + " of app " + appId + " names the Sandbox " + sandboxName
          + ", which does not exist in " + namespace);
    }
    return new Target(ready, AgentSandboxApi.EXTENSIONS_GROUP + "/" + AgentSandboxApi.VERSION, "SandboxClaim", sandboxName,
        serviceHost(sandbox, sandboxName));
  }

  /** The fallback without the CRDs: a plain Pod (the configured spec) and a headless Service for it. */
  private Target podTarget(String appId, String name) {
    PodResource ref = client.pods().inNamespace(namespace).withName(name);
    Pod pod = k8s("read the Pod " + name, ref::get);
    if (pod != null && pod.getMetadata().getDeletionTimestamp() != null) {
      awaitGone(ref, "Pod " + name);
      pod = null;
    }
    if (pod != null && !appId.equals(annotation(pod, APP_ANNOTATION))) {
      throw new ConflictException("the Pod " + name + " in " + namespace + " belongs to app '"
          + annotation(pod, APP_ANNOTATION) + "', not to '" + appId + "'");
    }
    boolean created = false;
    if (pod == null) {
      Map<String, String> labels = Map.of(APP_LABEL, labelValue(appId), POD_LABEL, name);
      try {
        client.services().inNamespace(namespace).resource(new ServiceBuilder()
            .withMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).withLabels(labels).build())
            .withNewSpec().withClusterIP("None").withSelector(Map.of(POD_LABEL, name))
            .addNewPort().withName("sandbox").withPort(serverPort).endPort()
            .addNewPort().withName("attach").withPort(attachPort).endPort()
            .addNewPort().withName("preview").withPort(previewPort).endPort()
            .endSpec().build()).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw new SandboxException("cannot create the Service " + name + " for app " + appId + ": " + e.getMessage(), e);
        }
      }
      try {
        pod = client.pods().inNamespace(namespace).resource(new PodBuilder()
            .withMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).withLabels(labels)
                .withAnnotations(Map.of(APP_ANNOTATION, appId, HOLDER_ANNOTATION, hostId)).build())
            .withSpec(podSpec).build()).create();
        created = true;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw new SandboxException("cannot create the Pod " + name + " for app " + appId + ": " + e.getMessage(), e);
        }
        pod = k8s("read the Pod " + name, ref::get);
        if (pod == null) {
          throw new SandboxException("the Pod " + name + " of app " + appId + " vanished while it was being created");
        }
      }
    }
    Pod ready;
    try {
      ready = ref.waitUntilCondition(p -> p == null || p.getMetadata().getDeletionTimestamp() != null || podReady(p),
          readyTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (KubernetesClientTimeoutException e) {
      Pod last = k8s("read the Pod " + name, ref::get);
      String phase = last == null || last.getStatus() == null ? "unknown" : String.valueOf(last.getStatus().getPhase());
      if (created) {
        withdraw(name);
      }
      throw new TimeoutException("no sandbox for app " + appId + ": the Pod " + name + " was not Ready after "
          + readyTimeout.toMillis() + " ms; phase " + phase + (created ? "; the pod was withdrawn" : ""), e);
    }
    if (ready == null || ready.getMetadata().getDeletionTimestamp() != null) {
      throw new SandboxException("the Pod " + name + " of app " + appId + " was deleted before it became Ready");
    }
    return new Target(ready, "v1", "Pod", name, ready.getStatus().getPodIP());
  }

  private static boolean podReady(Pod p) {
    return p.getStatus() != null && notEmpty(p.getStatus().getPodIP()) && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private SandboxClaim newClaim(String appId, String name) {
    SandboxClaim claim = new SandboxClaim();
    claim.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace)
        .withLabels(Map.of(APP_LABEL, labelValue(appId)))
        .withAnnotations(Map.of(APP_ANNOTATION, appId, HOLDER_ANNOTATION, hostId))
        .build());
    claim.setSpec(new SandboxClaimSpec(new SandboxTemplateRef(template),
        new ClaimLifecycle(shutdownTime(), AgentSandboxApi.SHUTDOWN_DELETE), warmPool));
    return claim;
  }

  private String shutdownTime() {
    return clock.instant().plus(claimTtl).truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private SandboxClaim awaitReady(Resource<SandboxClaim> ref, String name, String appId, boolean created) {
    try {
      SandboxClaim c = ref.waitUntilCondition(x -> x == null || x.getMetadata().getDeletionTimestamp() != null
          || (x.getStatus() != null && x.getStatus().ready()), readyTimeout.toMillis(), TimeUnit.MILLISECONDS);
      if (c == null || c.getMetadata().getDeletionTimestamp() != null) {
        throw new SandboxException("the SandboxClaim " + name + " of app " + appId + " was deleted before it became Ready");
      }
      return c;
    } catch (KubernetesClientTimeoutException e) {
      SandboxClaim last = k8s("read the claim " + name, ref::get);
      String why = notReadyReason(last);
      if (created) {
        withdraw(name);
      }
      throw new TimeoutException("no sandbox for app " + appId + ": the SandboxClaim " + name + " was not Ready after "
          + readyTimeout.toMillis() + " ms; " + why + (created ? "; the claim was withdrawn" : ""), e);
    }
  }

  private String notReadyReason(SandboxClaim last) {
    StringBuilder why = new StringBuilder();
    String pool = warmPool == null ? null : warmPool;
    if (pool != null) {
      SandboxWarmPool p = k8s("read the warm pool " + pool,
          () -> client.resources(SandboxWarmPool.class).inNamespace(namespace).withName(pool).get());
      if (p == null) {
        why.append("the SandboxWarmPool ").append(pool).append(" does not exist in ").append(namespace);
      } else {
        int desired = p.getSpec() == null ? 0 : p.getSpec().replicas();
        int readyReplicas = p.getStatus() == null ? 0 : p.getStatus().readyReplicas();
        why.append("the SandboxWarmPool ").append(pool).append(" has ").append(readyReplicas).append(" of ")
            .append(desired).append(" sandboxes ready");
        if (readyReplicas == 0) {
          why.append(" (the pool is exhausted)");
        }
      }
    } else {
      why.append("no warm pool is configured (cold start)");
    }
    Optional<Condition> c = last == null || last.getStatus() == null ? Optional.empty() : last.getStatus().condition(AgentSandboxApi.READY);
    why.append(c.map(x -> "; claim condition Ready=" + x.getStatus() + " reason " + x.getReason() + ": " + x.getMessage())
        .orElse("; the claim reports no Ready condition yet"));
    return why.toString();
  }

  private <T extends HasMetadata> void awaitGone(Resource<T> ref, String what) {
    try {
      ref.waitUntilCondition(Objects::isNull, readyTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (KubernetesClientTimeoutException e) {
      throw new TimeoutException("the " + what + " was still being deleted after " + readyTimeout.toMillis() + " ms", e);
    }
  }

  private String serviceHost(AgentSandbox sandbox, String sandboxName) {
    if (sandbox.getStatus() != null && notEmpty(sandbox.getStatus().serviceFQDN())) {
      return sandbox.getStatus().serviceFQDN();
    }
    if (sandbox.getStatus() != null && notEmpty(sandbox.getStatus().service())) {
      return sandbox.getStatus().service() + "." + namespace + ".svc";
    }
    throw new SandboxException("the Sandbox " + sandboxName + " reports no service (status.serviceFQDN, status.service)");
  }

  /** The app's token: from the claim's Secret if it belongs to this claim, else a new one. */
  private String token(Target target) {
    HasMetadata claim = target.owner();
    String name = claim.getMetadata().getName() + "-token";
    Resource<Secret> ref = client.secrets().inNamespace(namespace).withName(name);
    Secret existing = k8s("read the Secret " + name, ref::get);
    if (existing != null && existing.getMetadata().getOwnerReferences() != null
        && existing.getMetadata().getOwnerReferences().stream().anyMatch(o -> claim.getMetadata().getUid().equals(o.getUid()))
        && existing.getData() != null && existing.getData().get("token") != null) {
      return new String(Base64.getDecoder().decode(existing.getData().get("token")), StandardCharsets.UTF_8);
    }
    if (existing != null) {
      k8s("delete the stale Secret " + name, ref::delete); // left by an earlier claim of the same name
    }
    String token = SandboxRegistry.newToken();
    Secret secret = new SecretBuilder()
        .withMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace)
            .withLabels(claim.getMetadata().getLabels())
            .withOwnerReferences(new OwnerReferenceBuilder()
                .withApiVersion(target.apiVersion())
                .withKind(target.kind()).withName(claim.getMetadata().getName()).withUid(claim.getMetadata().getUid())
                .build())
            .build())
        .withType("Opaque")
        .withData(Map.of("token", Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8))))
        .build();
    try {
      client.secrets().inNamespace(namespace).resource(secret).create();
      return token;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) { // another host attaching at the same moment: take theirs
        return token(target);
      }
      throw new SandboxException("cannot store the token of " + target.kind() + " " + claim.getMetadata().getName() + ": " + e.getMessage(), e);
    }
  }

  /** Posts the app id and token to the pod's handover endpoint; true if the pod opened the sandbox just now. */
  private boolean attach(String host, String appId, String token, String claimName) {
    String url = "http://" + host + ":" + attachPort + "/v1/attach";
    byte[] body = json.writeBytes(json.fromJava(Map.of("sandbox_id", appId, "token", token)));
    Request request = new Request.Builder().url(url).header("Authorization", "Bearer " + bootstrapToken)
        .post(RequestBody.create(body, JSON)).build();
    for (int attempt = 1; ; attempt++) {
      try (Response response = http.newCall(request).execute()) {
        String text = response.body().string();
        JsonNode reply = json.tryRead(text).orElseGet(json::objectNode);
        if (response.code() == 200) {
          return reply.path("created").asBoolean();
        }
        String detail = reply.path("message").asText(text);
        if (response.code() == 409) {
          throw new ConflictException("the sandbox pod of claim " + claimName + " (" + host + ") serves another app: " + detail);
        }
        if (response.code() == 401 || response.code() == 403) {
          throw new SandboxException("the sandbox pod of claim " + claimName + " (" + host
              + ") refused the bootstrap token: the pool's Secret and the provider's token differ");
        }
        throw new SandboxException("the sandbox pod of claim " + claimName + " (" + host + ") answered " + response.code()
            + " to the handover: " + detail);
      } catch (IOException e) {
        if (!retryPolicy.allowsAnotherAfter(attempt)) {
          throw new SandboxException("cannot reach the sandbox pod of claim " + claimName + " at " + url + " after "
              + attempt + " attempts: " + e.getMessage(), e);
        }
        retryPolicy.sleep(attempt, random);
      }
    }
  }

  /** Writes the app's latest checkpoint into a sandbox that starts empty. */
  private void seed(String appId, RemoteSandbox remote) {
    if (seedStore.isEmpty()) {
      return;
    }
    CheckpointStore store = seedStore.get();
    Optional<Checkpoint> head = store.head(appId);
    if (head.isEmpty()) {
      return;
    }
    Map<String, Optional<byte[]>> files = new LinkedHashMap<>();
    store.revision(head.get().resultRevisionId()).files().forEach((path, ref) -> files.put(path, Optional.of(store.readBlob(ref.blobId()))));
    remote.apply(files);
    ChangeScan scan = remote.scanChanges();
    remote.acknowledgeChanges(scan.generation());
    LOG.info("seeded the new sandbox of app {} with {} files of checkpoint {}", appId, files.size(), head.get().id());
  }

  // ---- life cycle -----------------------------------------------------------------------

  /** Renews the claim's expiry when a tenth of its time-to-live has passed since the last renewal. */
  void renew(Binding b) {
    if (podSpec != null) {
      return; // a plain Pod has no expiry to renew
    }
    Instant now = clock.instant();
    if (Duration.between(b.renewed, now).compareTo(claimTtl.dividedBy(10)) < 0) {
      return;
    }
    try {
      patch(b.claimName, Map.of("spec", Map.of("lifecycle", Map.of("shutdownTime", shutdownTime()))));
      b.renewed = now;
    } catch (ChatBuilderException e) {
      LOG.warn("could not renew the SandboxClaim {}: {}", b.claimName, e.getMessage());
    }
  }

  /** A sandbox was closed: release its claim if this host attached to it last. */
  void closed(ClaimedSandbox sandbox, Binding b) {
    opened.remove(sandbox.id(), sandbox);
    draftHeld.remove(sandbox.id(), sandbox);
    forget(b);
    b.close();
    if (b.lost) {
      return;
    }
    HasMetadata claim;
    try {
      claim = object(b.claimName).get();
    } catch (KubernetesClientException e) {
      LOG.warn("could not read {} {} to release it: {}", kind(), b.claimName, e.getMessage());
      return;
    }
    if (claim == null || !b.claimUid.equals(claim.getMetadata().getUid())) {
      return;
    }
    if (!hostId.equals(annotation(claim, HOLDER_ANNOTATION))) {
      LOG.info("not releasing {} {}: host {} attached to it after this one", kind(), b.claimName, annotation(claim, HOLDER_ANNOTATION));
      return;
    }
    withdraw(b.claimName);
  }

  private void withdraw(String name) {
    try {
      object(name).delete();
      if (podSpec != null) {
        client.services().inNamespace(namespace).withName(name).delete();
      }
      client.secrets().inNamespace(namespace).withName(name + "-token").delete();
      LOG.info("released {} {}", kind(), name);
    } catch (KubernetesClientException e) {
      LOG.warn("could not delete {} {}: {}", kind(), name, e.getMessage());
    }
  }

  /** The object a binding is made on: the claim, or the fallback's Pod. */
  private Resource<? extends HasMetadata> object(String name) {
    return podSpec == null ? claims().withName(name) : client.pods().inNamespace(namespace).withName(name);
  }

  private String kind() {
    return podSpec == null ? "SandboxClaim" : "Pod";
  }

  /** Marks the bindings of one object (name and uid: a new claim of the same name is another object) lost. */
  private void lost(String claimName, String uid, String reason) {
    bindings.computeIfPresent(claimName, (k, set) -> {
      set.removeIf(b -> {
        if (b.claimUid.equals(uid)) {
          b.lose(reason);
          return true;
        }
        return false;
      });
      return set.isEmpty() ? null : set;
    });
  }

  /** After a failed call: is the binding's object still there? Marks it lost if it is gone or replaced. */
  void verify(Binding b) {
    HasMetadata current;
    try {
      current = object(b.claimName).get();
    } catch (KubernetesClientException e) {
      return; // the API server is unreachable too: report the call's own error
    }
    if (current == null) {
      lost(b.claimName, b.claimUid, "its " + kind() + " " + b.claimName + " was deleted");
    } else if (!b.claimUid.equals(current.getMetadata().getUid())) {
      lost(b.claimName, b.claimUid, "its " + kind() + " " + b.claimName + " was deleted and made again");
    } else if (current.getMetadata().getDeletionTimestamp() != null) {
      lost(b.claimName, b.claimUid, "its " + kind() + " " + b.claimName + " is being deleted");
    }
  }

  private void forget(Binding b) {
    bindings.computeIfPresent(b.claimName, (k, set) -> {
      set.remove(b);
      return set.isEmpty() ? null : set;
    });
  }

  /** The open sandbox of an app for draft mode: the facade's if open, else one held by the draft. */
  ClaimedSandbox sandboxForDraft(String appId, boolean openIfMissing) {
    ClaimedSandbox s = opened.get(appId);
    if (s != null || !openIfMissing) {
      return s;
    }
    return draftHeld.computeIfAbsent(appId, id -> (ClaimedSandbox) open(id));
  }

  void releaseDraftHold(String appId) {
    ClaimedSandbox held = draftHeld.remove(appId);
    if (held != null) {
      held.close();
    }
  }

  String previewUrl(Binding b, String reported) {
    java.net.URI uri = java.net.URI.create(reported);
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    if (previewHost.isPresent()) {
      String base = previewHost.get().replace("{app}", labelValue(b.appId)).replace("{sandbox}", b.sandboxName);
      return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path;
    }
    // The dev server listens on the pod's loopback; the host's preview forwarder exposes it.
    return uri.getScheme() + "://" + b.host + ":" + previewPort + path;
  }

  /** Stops watching (tests: a watch that missed an event). */
  void stopWatching() {
    watch.close();
  }

  /** Whether this provider has a live binding to the claim (tests). */
  boolean bound(String claimName) {
    return bindings.containsKey(claimName);
  }

  RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  OkHttpClient http() {
    return http;
  }

  private void patch(String name, Map<String, Object> patch) {
    String body = json.write(json.fromJava(patch));
    k8s("patch " + kind() + " " + name, () -> object(name).patch(PatchContext.of(PatchType.JSON_MERGE), body));
  }

  private MixedOperation<SandboxClaim, ?, Resource<SandboxClaim>> claimsOp() {
    return client.resources(SandboxClaim.class);
  }

  private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<SandboxClaim, ?, Resource<SandboxClaim>> claims() {
    return claimsOp().inNamespace(namespace);
  }

  private static <T> T k8s(String what, java.util.function.Supplier<T> call) {
    try {
      return call.get();
    } catch (KubernetesClientException e) {
      throw new SandboxException("cannot " + what + " on the Kubernetes API: " + e.getMessage(), e);
    }
  }

  private static String annotation(HasMetadata c, String key) {
    return c.getMetadata().getAnnotations() == null ? null : c.getMetadata().getAnnotations().get(key);
  }

  private static boolean notEmpty(String s) {
    return s != null && !s.isEmpty();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the Kubernetes sandbox provider is closed");
    }
  }

  /**
   * Stops watching, stops draft holds (releasing their claims) and closes the HTTP client.
   * Sandboxes still open keep their claims, so a host that restarts re-attaches to them.
   */
  @Override
  public void close() {
    closed = true;
    watch.close();
    List.copyOf(draftHeld.keySet()).forEach(this::releaseDraftHold);
    drafts.closeClients();
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }

  /** The state of one claim as one host uses it. */
  static final class Binding {
    final String appId;
    final String claimName;
    final String claimUid;
    final String sandboxName;
    final String host;
    final String baseUrl;
    final String token;
    final RemoteSandbox remote;
    volatile boolean lost;
    volatile String lostReason = "";
    volatile Instant renewed = Instant.EPOCH;

    Binding(String appId, String claimName, String claimUid, String sandboxName, String host, String baseUrl, String token,
        RemoteSandbox remote) {
      this.appId = appId;
      this.claimName = claimName;
      this.claimUid = claimUid;
      this.sandboxName = sandboxName;
      this.host = host;
      this.baseUrl = baseUrl;
      this.token = token;
      this.remote = remote;
    }

    void lose(String reason) {
      lostReason = reason;
      lost = true;
    }

    SandboxException lostError(Throwable cause) {
      return new SandboxException("the sandbox of app " + appId + " is gone: " + lostReason
          + "; its uncheckpointed changes are lost and the next run claims a new sandbox", cause);
    }

    void close() {
      remote.close();
    }
  }

  public static final class Builder {
    private final KubernetesClient client;
    private final String namespace;
    private final String template;
    private final String bootstrapToken;
    private String warmPool;
    private int serverPort = 8480;
    private int attachPort = 8481;
    private int previewPort = 8482;
    private Duration readyTimeout = Duration.ofSeconds(60);
    private Duration claimTtl = Duration.ofHours(2);
    private Duration callTimeout = Duration.ofSeconds(60);
    private CheckpointStore seedStore;
    private String previewHost;
    private PodSpec podSpec;
    private RetryPolicy retryPolicy = new RetryPolicy(5, Duration.ofMillis(100), Duration.ofMillis(6400), 0.5);
    private String hostId = "host-" + UUID.randomUUID();
    private Clock clock = Clock.systemUTC();

    private Builder(KubernetesClient client, String namespace, String template, String bootstrapToken) {
      this.client = Objects.requireNonNull(client, "client == null");
      this.namespace = Objects.requireNonNull(namespace, "namespace == null");
      this.template = Objects.requireNonNull(template, "template == null");
      this.bootstrapToken = Objects.requireNonNull(bootstrapToken, "bootstrapToken == null");
      if (bootstrapToken.length() < SandboxRegistry.MIN_TOKEN_LENGTH) {
        throw new IllegalArgumentException("the bootstrap token needs at least " + SandboxRegistry.MIN_TOKEN_LENGTH + " characters");
      }
    }

    /** The warm pool claims take sandboxes from ({@code spec.warmpool}); default: the controller's choice. */
    public Builder warmPool(String warmPool) {
      this.warmPool = Objects.requireNonNull(warmPool, "warmPool == null");
      return this;
    }

    /** The sandbox server's port on the sandbox service (default 8480). */
    public Builder serverPort(int port) {
      this.serverPort = checkPort(port);
      return this;
    }

    /** The handover endpoint's port on the sandbox service (default 8481). */
    public Builder attachPort(int port) {
      this.attachPort = checkPort(port);
      return this;
    }

    /** The sandbox host's preview forwarder port on the sandbox service (default 8482). */
    public Builder previewPort(int port) {
      this.previewPort = checkPort(port);
      return this;
    }

    /** How long a claim may take to become Ready (default 60 s); then {@link TimeoutException}. */
    public Builder readyTimeout(Duration timeout) {
      this.readyTimeout = positive(timeout, "readyTimeout");
      return this;
    }

    /** The claim's {@code lifecycle.shutdownTime} is this far ahead, renewed on use (default 2 h). */
    public Builder claimTtl(Duration ttl) {
      this.claimTtl = positive(ttl, "claimTtl");
      return this;
    }

    /** Timeout of one HTTP call to a sandbox pod (default 60 s). */
    public Builder callTimeout(Duration timeout) {
      this.callTimeout = positive(timeout, "callTimeout");
      return this;
    }

    /** Sandboxes that start empty get the files of the app's latest checkpoint in this store. */
    public Builder seedFrom(CheckpointStore store) {
      this.seedStore = Objects.requireNonNull(store, "store == null");
      return this;
    }

    /**
     * Preview URLs through an ingress: e.g. {@code https://{app}.preview.example.com}
     * ({@code {app}}: the app's label value, {@code {sandbox}}: the Sandbox's name). Default: the
     * sandbox's service address and the host's preview forwarder port, with the path the host reports.
     */
    public Builder previewHost(String template) {
      this.previewHost = Objects.requireNonNull(template, "template == null");
      return this;
    }

    /**
     * Without the agent-sandbox CRDs in the cluster: each app gets a plain Pod of this spec (the
     * sandbox host image, as in {@code deploy/sandbox-template.yaml}) and a headless Service of the
     * same name, created, re-attached and deleted like claims; the pod is reached at its
     * {@code status.podIP}. No warm pool (every app cold-starts) and no expiry of abandoned pods.
     */
    public Builder podFallback(PodSpec spec) {
      this.podSpec = Objects.requireNonNull(spec, "spec == null");
      return this;
    }

    /** Retries of calls to sandbox pods (default 5 attempts from 100 ms); core's {@link RetryPolicy}. */
    public Builder retryPolicy(RetryPolicy policy) {
      this.retryPolicy = Objects.requireNonNull(policy, "policy == null");
      return this;
    }

    /** Names this host in the claims it attaches to (default: random). */
    public Builder hostId(String hostId) {
      this.hostId = Objects.requireNonNull(hostId, "hostId == null");
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock == null");
      return this;
    }

    public KubernetesSandboxProvider build() {
      return new KubernetesSandboxProvider(this);
    }

    private static int checkPort(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
      return port;
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name + " == null");
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive");
      }
      return d;
    }
  }
}
