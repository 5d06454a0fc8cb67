package io.chatbuilder.tools.mcp;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** One MCP server as the host configured it: how to reach it and the limits its calls run under. */
record ServerConfig(String name, Transport transport, Duration callTimeout, Duration initTimeout, int maxResultChars,
    int maxMessageBytes) {
  ServerConfig {
    Objects.requireNonNull(name, "name == null");
    Objects.requireNonNull(transport, "transport == null");
    Objects.requireNonNull(callTimeout, "callTimeout == null");
    Objects.requireNonNull(initTimeout, "initTimeout == null");
  }

  sealed interface Transport permits Stdio, StreamableHttp {}

  /** A program the host starts; it speaks MCP on its standard input and output. */
  record Stdio(String command, List<String> args, Map<String, String> env, Optional<Path> workingDirectory)
      implements Transport {
    Stdio {
      Objects.requireNonNull(command, "command == null");
      args = List.copyOf(args);
      env = Map.copyOf(env);
      Objects.requireNonNull(workingDirectory, "workingDirectory == null");
    }
  }

  /** A server at a URL, spoken to with MCP's Streamable HTTP transport. */
  record StreamableHttp(URI url, Map<String, String> headers) implements Transport {
    StreamableHttp {
      Objects.requireNonNull(url, "url == null");
      headers = Map.copyOf(headers);
    }
  }

  String describe() {
    return transport instanceof Stdio s ? "MCP server '" + name + "' (" + s.command() + ")"
        : "MCP server '" + name + "' (" + ((StreamableHttp) transport).url() + ")";
  }
}
