package io.chatbuilder.core.internal;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.ForwardingSandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SandboxPaths;
import io.chatbuilder.core.sandbox.SandboxService;
import io.chatbuilder.core.sandbox.ServiceRequest;
import io.chatbuilder.core.sandbox.WriteOutcome;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The sandbox one tool call sees: everything goes to the run's sandbox, and the bytes of each
 * successful write are remembered, so the loop's {@code file_changes} report for that path needs no
 * read back (issue 19, B9: a write_file call otherwise cost a second confined read). Any other
 * change to a path forgets it; a command or service stops the recording for the call, since it may
 * change anything, then the report reads the files as before.
 */
final class WriteRecordingSandbox extends ForwardingSandbox {
  private final Map<String, byte[]> written = new HashMap<>();
  private boolean recording = true;

  WriteRecordingSandbox(Sandbox target) {
    super(target);
  }

  /** What this call's successful writes left in each path, if nothing else touched it since. */
  synchronized Optional<byte[]> written(String path) {
    return recording ? Optional.ofNullable(written.get(path)) : Optional.empty();
  }

  private synchronized void forget(String path) {
    String prefix = path.isEmpty() ? "" : path + "/";
    written.keySet().removeIf(p -> p.equals(path) || p.startsWith(prefix));
  }

  private synchronized void stopRecording() {
    recording = false;
    written.clear();
  }

  @Override
  public WriteOutcome write(String path, byte[] content) {
    String normalized = SandboxPaths.normalize(path);
    forget(normalized);
    WriteOutcome outcome = delegate().write(path, content);
    synchronized (this) {
      if (recording) {
        written.put(normalized, content.clone());
      }
    }
    return outcome;
  }

  @Override
  public List<String> delete(String path) {
    forget(SandboxPaths.normalize(path));
    return delegate().delete(path);
  }

  @Override
  public void rename(String from, String to) {
    forget(SandboxPaths.normalize(from));
    forget(SandboxPaths.normalize(to));
    delegate().rename(from, to);
  }

  @Override
  public CommandResult run(CommandRequest request, CommandListener listener, Cancellation cancellation) {
    stopRecording();
    return delegate().run(request, listener, cancellation);
  }

  @Override
  public SandboxService startService(ServiceRequest request, CommandListener output) {
    stopRecording();
    return delegate().startService(request, output);
  }

  @Override
  public void apply(Map<String, Optional<byte[]>> files) {
    files.keySet().forEach(p -> forget(SandboxPaths.normalize(p)));
    delegate().apply(files);
  }

  @Override
  public Sandbox fenced(long token) {
    stopRecording(); // writes through the fenced view are not seen here
    return delegate().fenced(token);
  }

}
