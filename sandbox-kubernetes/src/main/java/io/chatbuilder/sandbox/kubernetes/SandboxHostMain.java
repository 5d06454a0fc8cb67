package io.chatbuilder.sandbox.kubernetes;

import io.chatbuilder.runtime.vite.ViteDraftRuntime;
import io.chatbuilder.sandbox.local.LocalSandbox;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point of the sandbox host image ({@code deploy/Dockerfile}): a {@link SandboxHost}
 * whose app sandbox is a bubblewrap-isolated {@code LocalSandbox} in the pod's workspace and whose
 * drafts run Vite ({@code ViteDraftRuntime}) inside it. Needs sandbox-local and runtime-vite on the
 * class path (optional dependencies of this module). Configured by environment:
 *
 * <ul>
 *   <li>{@code CHATBUILDER_WORKSPACE} (default {@code /workspace}): the app's files go to {@code app/} in it.
 *   <li>{@code CHATBUILDER_BOOTSTRAP_TOKEN_FILE} (default {@code /var/run/chatbuilder/bootstrap/token}):
 *       the pool's handover secret, mounted from a Secret.
 *   <li>{@code CHATBUILDER_SERVER_PORT} (8480), {@code CHATBUILDER_ATTACH_PORT} (8481), {@code CHATBUILDER_PREVIEW_PORT}
 *       (8482, forwards to the draft's dev server), all on 0.0.0.0.
 * </ul>
 */
public final class SandboxHostMain {
  private static final Logger LOG = LoggerFactory.getLogger(SandboxHostMain.class);

  private SandboxHostMain() {}

  public static void main(String[] args) throws InterruptedException {
    Path workspace = Path.of(env("CHATBUILDER_WORKSPACE", "/workspace"));
    Path tokenFile = Path.of(env("CHATBUILDER_BOOTSTRAP_TOKEN_FILE", "/var/run/chatbuilder/bootstrap/token"));
    int serverPort = Integer.parseInt(env("CHATBUILDER_SERVER_PORT", "8480"));
    int attachPort = Integer.parseInt(env("CHATBUILDER_ATTACH_PORT", "8481"));
    int previewPort = Integer.parseInt(env("CHATBUILDER_PREVIEW_PORT", "8482"));
    String token;
    Path app;
    try {
      token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
      app = Files.createDirectories(workspace.resolve("app"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the sandbox host: " + e.getMessage(), e);
    }
    SandboxHost host = SandboxHost.builder(appId -> LocalSandbox.builder(app).id(appId).build(), token)
        .serverAddress(new InetSocketAddress("0.0.0.0", serverPort))
        .attachAddress(new InetSocketAddress("0.0.0.0", attachPort))
        .previewAddress(new InetSocketAddress("0.0.0.0", previewPort))
        .draftRuntime(sandboxes -> ViteDraftRuntime.builder(sandboxes).build())
        .start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      host.close();
      stopped.countDown();
    }, "sandbox-host-shutdown"));
    LOG.info("sandbox host serving on :{} (handover on :{}, preview on :{}), workspace {}", serverPort, attachPort, previewPort, app);
    stopped.await();
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }
}
