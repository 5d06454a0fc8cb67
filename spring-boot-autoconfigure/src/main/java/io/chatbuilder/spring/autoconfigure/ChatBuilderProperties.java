package io.chatbuilder.spring.autoconfigure;

import io.chatbuilder.sandbox.local.Isolation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings under {@code chatbuilder.*}. Every part they configure is also a bean a host can replace
 * instead (see the module README).
 *
 * @param model the model client built when the host defines no {@code ModelClient} bean
 * @param sandbox where apps' sandboxes live and how their commands are isolated
 * @param store the JDBC stores on the application's {@code DataSource}
 * @param http the HTTP API
 * @param mcp the MCP server (the same operations as the HTTP API, as tools for MCP clients)
 */
@ConfigurationProperties("chatbuilder")
public record ChatBuilderProperties(
    @DefaultValue Model model,
    @DefaultValue Sandbox sandbox,
    @DefaultValue Store store,
    @DefaultValue Http http,
    @DefaultValue Mcp mcp) {

  public ChatBuilderProperties {
    Objects.requireNonNull(model, "model == null");
    Objects.requireNonNull(sandbox, "sandbox == null");
    Objects.requireNonNull(store, "store == null");
    Objects.requireNonNull(http, "http == null");
    Objects.requireNonNull(mcp, "mcp == null");
  }

  /** Which providers {@code chatbuilder.model.provider} can name. */
  public enum Provider {
    /** No model from properties: the host defines a {@code ModelClient} bean. */
    NONE,
    ANTHROPIC,
    /** OpenAI or any OpenAI-compatible server (e.g. Ollama with {@code base-url}). */
    OPENAI
  }

  /**
   * @param provider the provider (default none: the host supplies a {@code ModelClient} bean)
   * @param name the model name; the provider's default when empty
   * @param apiKey the provider's API key
   * @param baseUrl the provider's base URL when it is not the public one
   * @param connectTimeout how long connecting to the provider may take
   * @param idleTimeout how long the model stream may stay silent before the turn fails
   */
  public record Model(
      @DefaultValue("none") Provider provider,
      Optional<String> name,
      Optional<String> apiKey,
      Optional<String> baseUrl,
      @DefaultValue("10s") Duration connectTimeout,
      @DefaultValue("120s") Duration idleTimeout) {
    public Model {
      Objects.requireNonNull(provider, "provider == null");
      name = Objects.requireNonNullElse(name, Optional.<String>empty()).filter(s -> !s.isBlank());
      apiKey = Objects.requireNonNullElse(apiKey, Optional.<String>empty()).filter(s -> !s.isBlank());
      baseUrl = Objects.requireNonNullElse(baseUrl, Optional.<String>empty()).filter(s -> !s.isBlank());
    }

    @Override
    public String toString() {
      // The key never reaches a log line.
      return "Model[provider=" + provider + ", name=" + name + ", apiKey=" + (apiKey.isPresent() ? "(set)" : "(none)")
          + ", baseUrl=" + baseUrl + "]";
    }
  }

  /**
   * @param baseDirectory the directory holding one sub-directory per app
   * @param isolation how app code runs: {@code bubblewrap} (default) runs every command and service
   *     inside bubblewrap and fails when it is missing; {@code unisolated} is the explicit opt-in to
   *     run app code as plain processes of the host (trusted code only; logged at WARN)
   */
  public record Sandbox(
      @DefaultValue(".chatbuilder/apps") Path baseDirectory,
      @DefaultValue("bubblewrap") Isolation isolation) {
    public Sandbox {
      Objects.requireNonNull(baseDirectory, "baseDirectory == null");
      Objects.requireNonNull(isolation, "isolation == null");
    }
  }

  /**
   * @param enabled whether checkpoints, conversations and events go to the {@code DataSource}
   *     (without one, or when disabled, they are kept in memory and lost on restart)
   * @param tablePrefix prepended to every table name
   */
  public record Store(@DefaultValue("true") boolean enabled, @DefaultValue("cb_") String tablePrefix) {
    public Store {
      Objects.requireNonNull(tablePrefix, "tablePrefix == null");
    }
  }

  /**
   * @param enabled whether the HTTP API is served
   * @param basePath the API's path prefix
   * @param allowedHosts host names accepted in the {@code Host} header besides {@code localhost},
   *     the loopback addresses and {@code server.address} (a defence against DNS rebinding)
   * @param allowedOrigins origins ({@code scheme://host[:port]}) allowed to send state-changing
   *     requests besides the API's own
   * @param heartbeat how often an idle event stream sends a comment line
   * @param streamTimeout how long one event stream may stay open
   * @param streamQueueCapacity events buffered per client; a client further behind is disconnected
   *     (it resumes with {@code Last-Event-ID}) so it never holds up the run
   * @param maxRequestBytes largest accepted request body
   * @param maxChatRequestBytes largest accepted body of a chat request (it may carry images: up to
   *     four, 8 MiB together, as base64), default 12 MiB
   * @param accessToken the token required when the server listens beyond loopback without Spring
   *     Security; a random one is made and logged at start when not set
   * @param defaultTemplate the template of an app created without {@code template_id}; the first
   *     template by id when not set
   */
  public record Http(
      @DefaultValue("true") boolean enabled,
      @DefaultValue("/admin") String basePath,
      @DefaultValue List<String> allowedHosts,
      @DefaultValue List<String> allowedOrigins,
      @DefaultValue("15s") Duration heartbeat,
      @DefaultValue("1h") Duration streamTimeout,
      @DefaultValue("1024") int streamQueueCapacity,
      @DefaultValue("1048576") int maxRequestBytes,
      @DefaultValue("12582912") int maxChatRequestBytes,
      Optional<String> accessToken,
      Optional<String> defaultTemplate) {
    public Http {
      Objects.requireNonNull(basePath, "basePath == null");
      if (!basePath.startsWith("/") || basePath.endsWith("/") || basePath.contains("*") || basePath.contains("{")) {
        throw new IllegalArgumentException("chatbuilder.http.base-path must start with '/' and not end with '/', not '"
            + basePath + "'");
      }
      allowedHosts = List.copyOf(Objects.requireNonNull(allowedHosts, "allowedHosts == null"));
      allowedOrigins = List.copyOf(Objects.requireNonNull(allowedOrigins, "allowedOrigins == null"));
      Objects.requireNonNull(heartbeat, "heartbeat == null");
      Objects.requireNonNull(streamTimeout, "streamTimeout == null");
      if (heartbeat.isNegative() || heartbeat.isZero()) {
        throw new IllegalArgumentException("chatbuilder.http.heartbeat must be positive");
      }
      if (streamQueueCapacity < 16) {
        throw new IllegalArgumentException("chatbuilder.http.stream-queue-capacity must be >= 16");
      }
      if (maxRequestBytes < 1024) {
        throw new IllegalArgumentException("chatbuilder.http.max-request-bytes must be >= 1024");
      }
      if (maxChatRequestBytes < 1024) {
        throw new IllegalArgumentException("chatbuilder.http.max-chat-request-bytes must be >= 1024");
      }
      accessToken = Objects.requireNonNullElse(accessToken, Optional.<String>empty()).filter(s -> !s.isBlank());
      defaultTemplate = Objects.requireNonNullElse(defaultTemplate, Optional.<String>empty()).filter(s -> !s.isBlank());
    }

    @Override
    public String toString() {
      return "Http[enabled=" + enabled + ", basePath=" + basePath + ", allowedHosts=" + allowedHosts + ", allowedOrigins="
          + allowedOrigins + ", accessToken=" + (accessToken.isPresent() ? "(set)" : "(random)") + "]";
    }
  }

  /**
   * @param enabled whether the MCP server is served (needs the MCP Java SDK,
   *     {@code io.modelcontextprotocol.sdk:mcp}, on the class path and the HTTP API enabled)
   * @param endpoint the Streamable HTTP endpoint's path under {@code chatbuilder.http.base-path}
   * @param maxWait the longest a {@code run_events} call may wait for a run to end
   * @param maxEvents the most events one {@code run_events} call returns
   */
  public record Mcp(
      @DefaultValue("false") boolean enabled,
      @DefaultValue("/mcp") String endpoint,
      @DefaultValue("60s") Duration maxWait,
      @DefaultValue("500") int maxEvents) {
    public Mcp {
      Objects.requireNonNull(endpoint, "endpoint == null");
      if (!endpoint.startsWith("/") || endpoint.endsWith("/") || endpoint.contains("*") || endpoint.contains("{")) {
        throw new IllegalArgumentException("chatbuilder.mcp.endpoint must start with '/' and not end with '/', not '"
            + endpoint + "'");
      }
      Objects.requireNonNull(maxWait, "maxWait == null");
      if (maxWait.isNegative()) {
        throw new IllegalArgumentException("chatbuilder.mcp.max-wait must not be negative");
      }
      if (maxEvents < 1) {
        throw new IllegalArgumentException("chatbuilder.mcp.max-events must be >= 1");
      }
    }
  }
}
