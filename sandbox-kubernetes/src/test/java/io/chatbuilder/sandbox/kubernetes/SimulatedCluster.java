package io.chatbuilder.sandbox.kubernetes;

import static org.assertj.core.api.Assertions.fail;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.runtime.vite.ViteDraftRuntime;
import io.chatbuilder.sandbox.kubernetes.crd.AgentSandbox;
import io.chatbuilder.sandbox.kubernetes.crd.SandboxClaim;
import io.chatbuilder.sandbox.kubernetes.crd.SandboxWarmPool;
import io.chatbuilder.sandbox.local.LocalSandbox;
import io.chatbuilder.sandbox.remote.SandboxRegistry;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/**
 * fabric8's Kubernetes mock server in CRUD mode (the agent-sandbox kinds registered with a status
 * subresource, as their CRDs declare), a {@link SimulatedController} with a warm pool of real
 * {@link SandboxHost}s on 127.0.0.1, 127.0.0.2, ... (bubblewrap-isolated {@code LocalSandbox}es,
 * Vite drafts), and providers against it.
 */
final class SimulatedCluster implements AutoCloseable {
  static final String NAMESPACE = "builders";
  static final String TEMPLATE = "chatbuilder-host";
  static final String POOL = "chatbuilder-pool";
  static final String BOOTSTRAP = SandboxRegistry.newToken();

  final KubernetesMockServer server;
  final RecordingDispatcher dispatcher;
  final NamespacedKubernetesClient client;
  /** The provider's client: its requests carry {@code X-Test-Client: provider}. */
  final NamespacedKubernetesClient providerClient;
  final SimulatedController controller;
  final int serverPort;
  final int attachPort;
  final int previewPort;
  private final Path base;
  private final AtomicInteger pods = new AtomicInteger();
  private final List<KubernetesSandboxProvider> providers = new ArrayList<>();

  SimulatedCluster(Path base, int poolSize) {
    this.base = base;
    List<CustomResourceDefinitionContext> crds = List.of(crd(SandboxClaim.class), crd(AgentSandbox.class), crd(SandboxWarmPool.class));
    this.dispatcher = new RecordingDispatcher(crds);
    this.server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init();
    this.client = server.createClient();
    this.providerClient = server.createClient(b -> b.withHttpClientBuilderConsumer(h -> h.addOrReplaceInterceptor("test-client",
        new io.fabric8.kubernetes.client.http.Interceptor() {
          @Override
          public void before(io.fabric8.kubernetes.client.http.BasicBuilder builder, io.fabric8.kubernetes.client.http.HttpRequest request,
              RequestTags tags) {
            builder.setHeader("X-Test-Client", "provider");
          }
        })));
    this.serverPort = freePort();
    this.attachPort = freePort();
    this.previewPort = freePort();
    List<SimulatedController.Slot> slots = new ArrayList<>();
    for (int i = 1; i <= poolSize; i++) {
      String address = "127.0.0." + i;
      slots.add(new SimulatedController.Slot(address, () -> startHost(address)));
    }
    this.controller = new SimulatedController(client, NAMESPACE, TEMPLATE, POOL, slots);
  }

  /** One request as the API server received it (the CRUD dispatcher consumes the body). */
  record Recorded(String method, String path, String contentType, String body, boolean fromProvider) {}

  /** The CRUD dispatcher, keeping every request with its body. */
  static final class RecordingDispatcher extends KubernetesCrudDispatcher {
    private final List<Recorded> requests = java.util.Collections.synchronizedList(new ArrayList<>());

    RecordingDispatcher(List<CustomResourceDefinitionContext> crds) {
      super(crds);
    }

    @Override
    public io.fabric8.mockwebserver.http.MockResponse dispatch(io.fabric8.mockwebserver.http.RecordedRequest request) {
      byte[] body = request.getBody() == null ? new byte[0] : request.getBody().getBytes();
      requests.add(new Recorded(request.getMethod(), request.getPath(), request.getHeader("Content-Type"),
          new String(body, java.nio.charset.StandardCharsets.UTF_8), "provider".equals(request.getHeader("X-Test-Client"))));
      return super.dispatch(request);
    }

    /** The requests received since the last call. */
    List<Recorded> drain() {
      synchronized (requests) {
        List<Recorded> out = List.copyOf(requests);
        requests.clear();
        return out;
      }
    }
  }

  private static CustomResourceDefinitionContext crd(Class<? extends io.fabric8.kubernetes.client.CustomResource<?, ?>> type) {
    CustomResourceDefinitionContext c = CustomResourceDefinitionContext.fromCustomResourceType(type);
    return new CustomResourceDefinitionContext.Builder().withGroup(c.getGroup()).withVersion(c.getVersion())
        .withPlural(c.getPlural()).withKind(c.getKind()).withScope("Namespaced").withName(c.getName())
        .withStatusSubresource(true).build();
  }

  /** Skips (or, under CI=true, fails) where bubblewrap cannot isolate a command. */
  static void requireIsolation(Path scratch) {
    String reason;
    try (LocalSandbox probe = configure(LocalSandbox.builder(Files.createDirectories(scratch.resolve("bwrap-probe"))).id("probe")).build()) {
      CommandResult r = probe.run(CommandRequest.of("node", "-e", "0"), CommandListener.NONE, new Cancellation());
      if (r.succeeded() && r.isolated()) {
        return;
      }
      reason = "node did not run isolated (exit " + r.exitCode() + "): " + r.stderr();
    } catch (ChatBuilderException | IOException e) {
      reason = e.getMessage();
    }
    reason = "sandbox-kubernetes' simulated pods need bubblewrap, socat and node: " + reason;
    if ("true".equals(System.getenv("CI"))) {
      fail("CI=true but " + reason);
    }
    Assumptions.abort(reason);
  }

  static LocalSandbox.Builder configure(LocalSandbox.Builder b) {
    return b.baseEnvironment(new HashMap<>(System.getenv()));
  }

  /** A fresh sandbox pod: an empty workspace, isolated sandboxes, Vite drafts. */
  SandboxHost startHost(String address) {
    Path workspace;
    try {
      workspace = Files.createDirectories(base.resolve("pod-" + pods.incrementAndGet()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return SandboxHost.builder(appId -> configure(LocalSandbox.builder(workspace.resolve("app")).id(appId)).build(), BOOTSTRAP)
        .serverAddress(new InetSocketAddress(address, serverPort))
        .attachAddress(new InetSocketAddress(address, attachPort))
        .previewAddress(new InetSocketAddress(address, previewPort))
        .draftRuntime(sandboxes -> ViteDraftRuntime.builder(sandboxes).build())
        .start();
  }

  KubernetesSandboxProvider.Builder provider(String hostId) {
    return KubernetesSandboxProvider.builder(providerClient, NAMESPACE, TEMPLATE, BOOTSTRAP)
        .warmPool(POOL).serverPort(serverPort).attachPort(attachPort).previewPort(previewPort).hostId(hostId)
        .readyTimeout(Duration.ofSeconds(20))
        .retryPolicy(new RetryPolicy(2, Duration.ofMillis(50), Duration.ofMillis(100), 0.5));
  }

  KubernetesSandboxProvider start(KubernetesSandboxProvider.Builder b) {
    KubernetesSandboxProvider p = b.build();
    providers.add(p);
    return p;
  }

  List<SandboxClaim> claims() {
    return client.resources(SandboxClaim.class).inNamespace(NAMESPACE).list().getItems();
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    providers.forEach(KubernetesSandboxProvider::close);
    controller.close();
    providerClient.close();
    client.close();
    server.destroy();
  }
}
