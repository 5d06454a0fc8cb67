package io.chatbuilder.sandbox.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.checkpoint.ContentHash;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SandboxProvider;
import io.chatbuilder.sandbox.remote.SandboxRegistry;
import io.chatbuilder.sandbox.remote.SandboxServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * What runs in a sandbox pod: sandbox-remote's {@link SandboxServer} (empty until claimed) plus a
 * small handover endpoint. A warm pod holds no app; after a claim binds it, the provider posts the
 * app id and a fresh per-app token to {@code POST /v1/attach} (authorised by the pool's bootstrap
 * token), and the host registers that app's sandbox under that token. One pod serves one app: a
 * second attach for the same app and token is answered again ({@code created: false}), anything
 * else is {@code 409 conflict}. Tokens never go into the claim (values in a claim force a cold start).
 */
public final class SandboxHost implements AutoCloseable {
  private static final int MAX_BODY = 16 * 1024;

  private final JsonCodec json = new JsonCodec();
  private final byte[] bootstrapDigest;
  private final SandboxProvider sandboxes;
  private final SandboxRegistry registry = new SandboxRegistry();
  private final DraftRuntime drafts;
  private final SandboxServer server;
  private final HttpServer attach;
  private final PreviewForwarder preview; // null without a draft runtime
  private final ExecutorService attachExecutor;
  private final Object lock = new Object();
  private String attachedId; // guarded by lock
  private byte[] attachedTokenDigest; // guarded by lock
  private Sandbox attachedSandbox; // guarded by lock

  private SandboxHost(Builder b) {
    this.bootstrapDigest = sha256(b.bootstrapToken);
    this.sandboxes = b.sandboxes;
    this.drafts = b.draftRuntime == null ? null : b.draftRuntime.apply(this::attachedSandbox);
    SandboxServer.Builder sb = SandboxServer.builder(registry).bind(b.serverAddress);
    if (drafts != null) {
      sb.draftRuntime(drafts);
    }
    this.server = sb.start();
    try {
      this.attach = HttpServer.create(b.attachAddress, 16);
    } catch (IOException e) {
      server.close();
      throw new UncheckedIOException("cannot bind the attach endpoint on " + b.attachAddress + ": " + e.getMessage(), e);
    }
    this.attachExecutor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "sandbox-host-attach");
      t.setDaemon(true);
      return t;
    });
    attach.setExecutor(attachExecutor);
    attach.createContext("/v1/attach", this::handleAttach);
    attach.start();
    this.preview = drafts == null ? null : new PreviewForwarder(b.previewAddress, this::previewPort, 64);
  }

  /** The loopback port of the attached app's running dev server. */
  private Optional<Integer> previewPort() {
    Optional<String> app = attachedApp();
    if (app.isEmpty()) {
      return Optional.empty();
    }
    return drafts.status(app.get()).previewUrl().map(u -> java.net.URI.create(u).getPort()).filter(p -> p > 0);
  }

  /** The fixed port that forwards to the draft's dev server; empty without a draft runtime. */
  public Optional<Integer> previewForwarderPort() {
    return preview == null ? Optional.empty() : Optional.of(preview.port());
  }

  /**
   * A host whose apps' sandboxes {@code sandboxes} opens (normally a {@code LocalSandbox} under the
   * pod's workspace, isolated with bubblewrap); {@code bootstrapToken} is the pool's shared secret.
   */
  public static Builder builder(SandboxProvider sandboxes, String bootstrapToken) {
    return new Builder(sandboxes, bootstrapToken);
  }

  /** The port of the sandbox server (sandbox-remote's protocol). */
  public int serverPort() {
    return server.port();
  }

  /** The port of the handover endpoint. */
  public int attachPort() {
    return attach.getAddress().getPort();
  }

  /** The app this pod was handed, if any. */
  public Optional<String> attachedApp() {
    synchronized (lock) {
      return Optional.ofNullable(attachedId);
    }
  }

  private Sandbox attachedSandbox(String appId) {
    synchronized (lock) {
      if (attachedSandbox == null || !attachedId.equals(appId)) {
        throw new io.chatbuilder.core.NotFoundException("this sandbox pod does not serve app " + appId);
      }
      return attachedSandbox;
    }
  }

  private void handleAttach(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        reply(exchange, 405, error("invalid_argument", "use POST"));
        return;
      }
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      if (auth == null || !auth.startsWith("Bearer ")) {
        exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer");
        reply(exchange, 401, error("unauthorized", "the bootstrap token is missing"));
        return;
      }
      if (!MessageDigest.isEqual(bootstrapDigest, sha256(auth.substring("Bearer ".length())))) {
        reply(exchange, 403, error("unauthorized", "wrong bootstrap token"));
        return;
      }
      JsonNode body;
      try (InputStream in = exchange.getRequestBody()) {
        byte[] bytes = in.readNBytes(MAX_BODY + 1);
        if (bytes.length > MAX_BODY) {
          reply(exchange, 413, error("too_large", "attach bodies are at most " + MAX_BODY + " bytes"));
          return;
        }
        body = json.read(bytes);
      } catch (IOException | InvalidArgumentException e) {
        reply(exchange, 400, error("invalid_argument", "the body is not JSON: " + e.getMessage()));
        return;
      }
      String id = body == null ? null : text(body, "sandbox_id");
      String token = body == null ? null : text(body, "token");
      if (id == null || id.isEmpty() || token == null || token.length() < SandboxRegistry.MIN_TOKEN_LENGTH) {
        reply(exchange, 400, error("invalid_argument", "need {\"sandbox_id\": non-empty, \"token\": at least "
            + SandboxRegistry.MIN_TOKEN_LENGTH + " characters}"));
        return;
      }
      boolean created;
      synchronized (lock) {
        if (attachedId == null) {
          Sandbox sandbox;
          try {
            sandbox = sandboxes.open(id);
          } catch (RuntimeException e) {
            reply(exchange, 500, error("sandbox_error", "cannot open the sandbox of " + id + ": " + e.getMessage()));
            return;
          }
          registry.register(sandbox, token);
          attachedId = id;
          attachedTokenDigest = sha256(token);
          attachedSandbox = sandbox;
          created = true;
        } else if (attachedId.equals(id) && MessageDigest.isEqual(attachedTokenDigest, sha256(token))) {
          created = false;
        } else {
          reply(exchange, 409, error("conflict", "this sandbox pod already serves another app or token"));
          return;
        }
      }
      ObjectNode ok = json.objectNode().put("sandbox_id", id).put("created", created);
      reply(exchange, 200, ok);
    }
  }

  private static String text(JsonNode body, String field) {
    JsonNode n = body.get(field);
    return n != null && n.isTextual() ? n.asText() : null;
  }

  private ObjectNode error(String code, String message) {
    return json.objectNode().put("code", code).put("message", message);
  }

  private void reply(HttpExchange exchange, int status, ObjectNode body) throws IOException {
    byte[] bytes = json.writeBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  /** SHA-256 of the UTF-8 bytes, as hex (core's {@link ContentHash}). */
  static String sha256Hex(String s) {
    return ContentHash.sha256(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A digest to compare secrets in constant time with {@link MessageDigest#isEqual} (equal lengths). */
  private static byte[] sha256(String s) {
    return sha256Hex(s).getBytes(StandardCharsets.US_ASCII);
  }

  /** Stops both endpoints, the draft runtime and the attached sandbox (its files stay). */
  @Override
  public void close() {
    if (preview != null) {
      preview.close();
    }
    attach.stop(0);
    attachExecutor.shutdownNow();
    server.close();
    if (drafts != null) {
      drafts.close();
    }
    synchronized (lock) {
      if (attachedId != null) {
        registry.remove(attachedId).ifPresent(Sandbox::close);
      }
    }
  }

  public static final class Builder {
    private final SandboxProvider sandboxes;
    private final String bootstrapToken;
    private InetSocketAddress serverAddress = new InetSocketAddress("127.0.0.1", 0);
    private InetSocketAddress attachAddress = new InetSocketAddress("127.0.0.1", 0);
    private InetSocketAddress previewAddress = new InetSocketAddress("127.0.0.1", 0);
    private Function<SandboxProvider, DraftRuntime> draftRuntime;

    private Builder(SandboxProvider sandboxes, String bootstrapToken) {
      this.sandboxes = Objects.requireNonNull(sandboxes, "sandboxes == null");
      this.bootstrapToken = Objects.requireNonNull(bootstrapToken, "bootstrapToken == null");
      if (bootstrapToken.length() < SandboxRegistry.MIN_TOKEN_LENGTH) {
        throw new IllegalArgumentException("the bootstrap token needs at least " + SandboxRegistry.MIN_TOKEN_LENGTH + " characters");
      }
    }

    /** Where the sandbox server listens (default 127.0.0.1, ephemeral port; in a pod 0.0.0.0:8480). */
    public Builder serverAddress(InetSocketAddress address) {
      this.serverAddress = Objects.requireNonNull(address, "address == null");
      return this;
    }

    /** Where the handover endpoint listens (default 127.0.0.1, ephemeral port; in a pod 0.0.0.0:8481). */
    public Builder attachAddress(InetSocketAddress address) {
      this.attachAddress = Objects.requireNonNull(address, "address == null");
      return this;
    }

    /**
     * Where the preview forwarder listens (default 127.0.0.1, ephemeral port; in a pod 0.0.0.0:8482):
     * a fixed port that forwards to the draft's dev server on the pod's loopback.
     */
    public Builder previewAddress(InetSocketAddress address) {
      this.previewAddress = Objects.requireNonNull(address, "address == null");
      return this;
    }

    /** Draft mode: a runtime built over the attached sandbox (e.g. {@code ViteDraftRuntime.builder(s).build()}). */
    public Builder draftRuntime(Function<SandboxProvider, DraftRuntime> factory) {
      this.draftRuntime = Objects.requireNonNull(factory, "factory == null");
      return this;
    }

    public SandboxHost start() {
      return new SandboxHost(this);
    }
  }
}
