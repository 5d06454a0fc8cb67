package io.chatbuilder.tools.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.tool.Tool;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tools of one MCP server, as core {@link Tool}s named {@code <server>__<tool>}: give
 * {@link #tools()} to {@code ChatBuilder.builder().tool(...)}. Connecting happens in
 * {@link Builder#connect()}, which fails with a clear error when the server cannot start or does
 * not answer {@code initialize} in time. Close it to close the client (and stop a stdio server).
 *
 * <pre>{@code
 * McpToolSource files = McpToolSource.stdio("files")
 *     .command("npx").args("-y", "@modelcontextprotocol/server-filesystem", "/srv/docs")
 *     .callTimeout(Duration.ofSeconds(30))
 *     .connect();
 * McpToolSource issues = McpToolSource.streamableHttp("issues")
 *     .url("https://mcp.example.com/mcp").header("Authorization", "Bearer " + token)
 *     .connect();
 * }</pre>
 *
 * <p>A stdio server is a program the host configured and trusts like its own code: it runs on the
 * host, not in an app's sandbox. App code never runs there.
 */
public final class McpToolSource implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(McpToolSource.class);
  /** Like read_file's cap: the most text of one result the model is shown. */
  static final int DEFAULT_MAX_RESULT_CHARS = 100_000;
  /** The largest JSON-RPC message read from a server; a larger one fails the call instead of filling the heap. */
  static final int DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
  static final int MAX_DESCRIPTION_CHARS = 2000;
  static final int MAX_SCHEMA_CHARS = 64 * 1024;

  private final String name;
  private final McpConnection connection;
  private final List<McpTool> tools;
  private final List<String> skipped;

  private McpToolSource(String name, McpConnection connection, List<McpTool> tools, List<String> skipped) {
    this.name = name;
    this.connection = connection;
    this.tools = List.copyOf(tools);
    this.skipped = List.copyOf(skipped);
  }

  /** A server the host starts as a process and speaks to over its standard input and output. */
  public static StdioBuilder stdio(String name) {
    return new StdioBuilder(name);
  }

  /** A server at a URL, spoken to with MCP's Streamable HTTP transport. */
  public static HttpBuilder streamableHttp(String name) {
    return new HttpBuilder(name);
  }

  /** The server's name, the prefix of its tools' names. */
  public String name() {
    return name;
  }

  /** The server's tools as it listed them at connect time. */
  public List<Tool> tools() {
    return List.copyOf(tools);
  }

  /** Tools the server listed but that are not offered to the model, each with why (e.g. a malformed input schema). */
  public List<String> skipped() {
    return skipped;
  }

  @Override
  public void close() {
    connection.close();
  }

  private static McpToolSource connect(ServerConfig config) {
    JsonCodec json = new JsonCodec();
    List<McpTool> holder = new CopyOnWriteArrayList<>();
    List<McpSchema.Tool> listed = new ArrayList<>();
    McpConnection connection = McpConnection.open(config, changed -> toolsChanged(config, json, holder, changed), listed);
    List<String> skipped = new ArrayList<>();
    Set<String> taken = new HashSet<>();
    Set<String> seen = new HashSet<>();
    for (McpSchema.Tool t : listed) {
      if (t.name() == null || t.name().isBlank()) {
        skipped.add("a tool without a name");
        continue;
      }
      if (!seen.add(t.name())) {
        skipped.add("tool '" + abbreviate(t.name()) + "': listed twice");
        continue;
      }
      Optional<ObjectNode> parameters = parameters(t, json, skipped);
      if (parameters.isEmpty()) {
        continue;
      }
      String modelName = ToolNames.of(config.name(), t.name(), taken);
      taken.add(modelName);
      holder.add(new McpTool(connection, t.name(), new ToolDefinition(modelName, description(config, t), parameters.get()),
          json, config.maxResultChars()));
    }
    skipped.forEach(s -> LOG.warn("MCP server '{}': not offering {}", config.name(), s));
    return new McpToolSource(config.name(), connection, holder, skipped);
  }

  /** {@code tools/list_changed}: existing tools take the new schema or stop being offered (new ones wait for a restart). */
  private static void toolsChanged(ServerConfig config, JsonCodec json, List<McpTool> tools, List<McpSchema.Tool> listed) {
    Map<String, McpSchema.Tool> byName = new LinkedHashMap<>();
    for (McpSchema.Tool t : listed) {
      if (t.name() != null) {
        byName.putIfAbsent(t.name(), t);
      }
    }
    for (McpTool tool : tools) {
      McpSchema.Tool now = byName.get(tool.mcpName());
      Optional<ObjectNode> parameters = now == null ? Optional.empty() : parameters(now, json, new ArrayList<>());
      tool.update(parameters.map(p -> new ToolDefinition(tool.definition().name(), description(config, now), p)).orElse(null),
          parameters.isPresent());
    }
  }

  private static String description(ServerConfig config, McpSchema.Tool t) {
    String d = t.description() == null || t.description().isBlank() ? (t.title() == null ? t.name() : t.title()) : t.description();
    d = abbreviate(d, MAX_DESCRIPTION_CHARS);
    return d + " (tool '" + abbreviate(t.name()) + "' of MCP server '" + config.name() + "')";
  }

  /**
   * The tool's input schema as tool parameters, or empty (and why, in {@code skipped}) when it is not
   * an object schema the providers would accept: one bad schema must not fail every model request.
   */
  private static Optional<ObjectNode> parameters(McpSchema.Tool t, JsonCodec json, List<String> skipped) {
    String tool = "tool '" + abbreviate(t.name()) + "'";
    if (t.inputSchema() == null) {
      ObjectNode empty = json.objectNode();
      empty.put("type", "object");
      empty.putObject("properties");
      return Optional.of(empty);
    }
    JsonNode schema;
    try {
      schema = json.fromJava(t.inputSchema());
    } catch (RuntimeException e) {
      skipped.add(tool + ": its input schema is not JSON (" + e.getMessage() + ")");
      return Optional.empty();
    }
    if (!(schema instanceof ObjectNode object)) {
      skipped.add(tool + ": its input schema is not a JSON object");
      return Optional.empty();
    }
    if (json.write(object).length() > MAX_SCHEMA_CHARS) {
      skipped.add(tool + ": its input schema is larger than " + MAX_SCHEMA_CHARS + " characters");
      return Optional.empty();
    }
    JsonNode type = object.get("type");
    if (type != null && !(type.isTextual() && type.asText().equals("object"))) {
      skipped.add(tool + ": its input schema's type is " + type + ", not \"object\"");
      return Optional.empty();
    }
    JsonNode properties = object.get("properties");
    if (properties != null) {
      if (!properties.isObject()) {
        skipped.add(tool + ": its input schema's properties is not an object");
        return Optional.empty();
      }
      for (Map.Entry<String, JsonNode> p : properties.properties()) {
        if (!p.getValue().isObject()) {
          skipped.add(tool + ": property '" + abbreviate(p.getKey()) + "' of its input schema is not a schema object");
          return Optional.empty();
        }
      }
    }
    JsonNode required = object.get("required");
    if (required != null) {
      if (!required.isArray()) {
        skipped.add(tool + ": its input schema's required is not an array");
        return Optional.empty();
      }
      for (JsonNode r : required) {
        if (!r.isTextual()) {
          skipped.add(tool + ": its input schema's required holds " + r + ", not a property name");
          return Optional.empty();
        }
      }
    }
    ObjectNode parameters = object.deepCopy();
    parameters.put("type", "object");
    if (!parameters.has("properties")) {
      parameters.putObject("properties");
    }
    return Optional.of(parameters);
  }

  private static String abbreviate(String s) {
    return abbreviate(s, 80);
  }

  private static String abbreviate(String s, int max) {
    return s.length() > max ? s.substring(0, max - 1) + "…" : s;
  }

  /** What every server takes: its name, timeouts and result limits. */
  public abstract static sealed class Builder<B extends Builder<B>> permits StdioBuilder, HttpBuilder {
    final String name;
    Duration callTimeout = Duration.ofSeconds(60);
    Duration initTimeout = Duration.ofSeconds(30);
    int maxResultChars = DEFAULT_MAX_RESULT_CHARS;
    int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;

    Builder(String name) {
      Objects.requireNonNull(name, "name == null");
      if (!ToolNames.SERVER_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("MCP server name must match [a-zA-Z0-9_-]{1,32} (it prefixes its tools' names): "
            + name);
      }
      this.name = name;
    }

    abstract B self();

    /** How long one tool call may take before it fails with a timeout error (default 60s). */
    public B callTimeout(Duration callTimeout) {
      this.callTimeout = positive(callTimeout, "callTimeout");
      return self();
    }

    /** How long starting the server and its {@code initialize} and {@code tools/list} may take (default 30s). */
    public B initTimeout(Duration initTimeout) {
      this.initTimeout = positive(initTimeout, "initTimeout");
      return self();
    }

    /** The most characters of one result the model is shown; the rest is cut with a note (default 100 000). */
    public B maxResultChars(int maxResultChars) {
      if (maxResultChars < 1) {
        throw new IllegalArgumentException("maxResultChars must be >= 1");
      }
      this.maxResultChars = maxResultChars;
      return self();
    }

    /** The largest message read from the server (default 8 MiB); a larger reply fails the call. */
    public B maxMessageBytes(int maxMessageBytes) {
      if (maxMessageBytes < 1024) {
        throw new IllegalArgumentException("maxMessageBytes must be >= 1024");
      }
      this.maxMessageBytes = maxMessageBytes;
      return self();
    }

    abstract ServerConfig.Transport transport();

    /** Starts or reaches the server, initializes it and lists its tools (every page). */
    public McpToolSource connect() {
      return McpToolSource.connect(new ServerConfig(name, transport(), callTimeout, initTimeout, maxResultChars, maxMessageBytes));
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what + " == null");
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive");
      }
      return d;
    }
  }

  /** A stdio server: the program, its arguments, environment and working directory. */
  public static final class StdioBuilder extends Builder<StdioBuilder> {
    private String command;
    private final List<String> args = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private Path workingDirectory;

    StdioBuilder(String name) {
      super(name);
    }

    @Override
    StdioBuilder self() {
      return this;
    }

    public StdioBuilder command(String command) {
      Objects.requireNonNull(command, "command == null");
      if (command.isBlank()) {
        throw new IllegalArgumentException("command is blank");
      }
      this.command = command;
      return this;
    }

    public StdioBuilder args(String... args) {
      return args(List.of(args));
    }

    public StdioBuilder args(List<String> args) {
      for (String a : args) {
        this.args.add(Objects.requireNonNull(a, "args contains null"));
      }
      return this;
    }

    /**
     * Sets a variable of the server's environment. It inherits only PATH, HOME, USER, SHELL, TERM
     * and LOGNAME from the host, never the rest (which may hold secrets such as the model's key).
     */
    public StdioBuilder env(String name, String value) {
      env.put(Objects.requireNonNull(name, "name == null"), Objects.requireNonNull(value, "value == null"));
      return this;
    }

    public StdioBuilder env(Map<String, String> env) {
      env.forEach(this::env);
      return this;
    }

    public StdioBuilder workingDirectory(Path workingDirectory) {
      this.workingDirectory = Objects.requireNonNull(workingDirectory, "workingDirectory == null");
      return this;
    }

    @Override
    ServerConfig.Transport transport() {
      if (command == null) {
        throw new IllegalStateException("MCP server '" + name + "': command is required");
      }
      return new ServerConfig.Stdio(command, args, env, Optional.ofNullable(workingDirectory));
    }
  }

  /** A Streamable HTTP server: its URL and the headers every request carries (e.g. authorization). */
  public static final class HttpBuilder extends Builder<HttpBuilder> {
    private URI url;
    private final Map<String, String> headers = new LinkedHashMap<>();

    HttpBuilder(String name) {
      super(name);
    }

    @Override
    HttpBuilder self() {
      return this;
    }

    public HttpBuilder url(String url) {
      return url(URI.create(Objects.requireNonNull(url, "url == null")));
    }

    public HttpBuilder url(URI url) {
      Objects.requireNonNull(url, "url == null");
      if (!("http".equals(url.getScheme()) || "https".equals(url.getScheme())) || url.getRawAuthority() == null) {
        throw new IllegalArgumentException("MCP server URL must be an absolute http or https URL: " + url);
      }
      this.url = url;
      return this;
    }

    public HttpBuilder header(String name, String value) {
      headers.put(Objects.requireNonNull(name, "name == null"), Objects.requireNonNull(value, "value == null"));
      return this;
    }

    public HttpBuilder headers(Map<String, String> headers) {
      headers.forEach(this::header);
      return this;
    }

    @Override
    ServerConfig.Transport transport() {
      if (url == null) {
        throw new IllegalStateException("MCP server '" + name + "': url is required");
      }
      return new ServerConfig.StreamableHttp(url, headers);
    }
  }
}
