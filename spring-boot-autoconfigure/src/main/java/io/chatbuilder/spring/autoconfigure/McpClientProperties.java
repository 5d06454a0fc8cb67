package io.chatbuilder.spring.autoconfigure;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The host's MCP servers whose tools the agent may call, under {@code chatbuilder.mcp.clients.<name>.*}
 * (next to {@code chatbuilder.mcp.enabled}, which is ChatBuilder's own MCP server). The name
 * prefixes the server's tools: {@code <name>__<tool>}.
 *
 * @param clients the servers by name
 */
@ConfigurationProperties("chatbuilder.mcp")
public record McpClientProperties(Map<String, Client> clients) {
  public McpClientProperties {
    clients = clients == null ? Map.of() : Map.copyOf(clients);
  }

  /**
   * One MCP server: either {@code command} (a stdio server the host starts; a trusted host program,
   * it runs on the host, not in a sandbox) or {@code url} (Streamable HTTP).
   *
   * @param command the stdio server's program
   * @param args its arguments
   * @param env variables of its environment (it inherits only PATH, HOME, USER, SHELL, TERM, LOGNAME)
   * @param workingDirectory its working directory
   * @param url the Streamable HTTP server's URL
   * @param headers headers sent with every HTTP request (e.g. Authorization)
   * @param callTimeout how long one tool call may take before it fails with a timeout error
   * @param initTimeout how long starting the server, initialize and tools/list may take
   */
  public record Client(
      Optional<String> command,
      List<String> args,
      Map<String, String> env,
      Optional<Path> workingDirectory,
      Optional<URI> url,
      Map<String, String> headers,
      @DefaultValue("60s") Duration callTimeout,
      @DefaultValue("30s") Duration initTimeout) {
    public Client {
      command = Objects.requireNonNullElse(command, Optional.<String>empty()).filter(s -> !s.isBlank());
      args = args == null ? List.of() : List.copyOf(args);
      env = env == null ? Map.of() : Map.copyOf(env);
      workingDirectory = Objects.requireNonNullElse(workingDirectory, Optional.empty());
      url = Objects.requireNonNullElse(url, Optional.empty());
      headers = headers == null ? Map.of() : Map.copyOf(headers);
      Objects.requireNonNull(callTimeout, "callTimeout == null");
      Objects.requireNonNull(initTimeout, "initTimeout == null");
      if (command.isPresent() == url.isPresent()) {
        throw new IllegalArgumentException("an MCP client needs exactly one of command (stdio) and url (Streamable HTTP)");
      }
    }

    @Override
    public String toString() {
      // Header and env values may be secrets: never in a log line.
      return "Client[command=" + command + ", args=" + args + ", env=" + env.keySet() + ", workingDirectory="
          + workingDirectory + ", url=" + url + ", headers=" + headers.keySet() + ", callTimeout=" + callTimeout
          + ", initTimeout=" + initTimeout + "]";
    }
  }
}
