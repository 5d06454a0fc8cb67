package io.chatbuilder.tools.mcp;

import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonMapper;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The SDK's stdio transport with two changes: the server starts in the configured working
 * directory, and it inherits only the SDK's short list of variables (PATH, HOME, ...) plus the
 * configured ones, not the host's whole environment (which may hold the model's API key).
 *
 * <p>Starts a host process: an MCP server the host configured, a trusted program like the host's
 * own code, never app code (that runs only in its sandbox).
 */
final class StdioTransport extends StdioClientTransport {
  private final Optional<Path> workingDirectory;

  StdioTransport(ServerParameters parameters, McpJsonMapper mapper, int maxLineBytes, Optional<Path> workingDirectory) {
    super(parameters, mapper, maxLineBytes);
    this.workingDirectory = workingDirectory;
  }

  /**
   * The server's process once it started. The SDK keeps it private and does not fail the requests
   * in flight when it exits; the connection watches it to end them at once (a crash mid-call is
   * then a clear error, not a wait for the call's timeout). Empty if this SDK version differs.
   */
  Optional<Process> process() {
    try {
      java.lang.reflect.Field field = StdioClientTransport.class.getDeclaredField("process");
      field.setAccessible(true);
      return Optional.ofNullable((Process) field.get(this));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return Optional.empty();
    }
  }

  @Override
  protected ProcessBuilder getProcessBuilder() {
    ProcessBuilder builder = super.getProcessBuilder();
    // The SDK then adds ServerParameters' environment: its inherited defaults and the configured variables.
    builder.environment().clear();
    workingDirectory.ifPresent(d -> builder.directory(d.toFile()));
    return builder;
  }
}
