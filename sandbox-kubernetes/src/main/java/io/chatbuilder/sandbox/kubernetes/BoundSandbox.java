package io.chatbuilder.sandbox.kubernetes;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.sandbox.ChangeScan;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.SearchResult;
import io.chatbuilder.core.sandbox.WriteOutcome;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.function.Function;

/**
 * A sandbox whose calls go to the remote sandbox of one claim binding, and fail with the binding's
 * "gone" error once its claim was deleted (also when the call itself failed for that reason).
 */
abstract class BoundSandbox implements Sandbox {
  /** Failures that a vanished pod causes (unreachable, or another pod at its address refusing the token). */
  private static final java.util.Set<io.chatbuilder.core.ErrorCode> SUSPICIOUS = java.util.EnumSet.of(
      io.chatbuilder.core.ErrorCode.SANDBOX_ERROR, io.chatbuilder.core.ErrorCode.UNAUTHORIZED,
      io.chatbuilder.core.ErrorCode.UNAUTHENTICATED, io.chatbuilder.core.ErrorCode.TIMEOUT,
      io.chatbuilder.core.ErrorCode.INTERNAL);

  /** The binding calls go to now; throws if it is lost. */
  abstract KubernetesSandboxProvider.Binding binding();

  /** What a call acts on within the binding (the remote sandbox, or its fenced view). */
  abstract Sandbox target(KubernetesSandboxProvider.Binding b);

  /** Checks on the API server whether the binding's object still exists, marking it lost if not. */
  abstract void verify(KubernetesSandboxProvider.Binding b);

  private <T> T call(Function<Sandbox, T> op) {
    KubernetesSandboxProvider.Binding b = binding();
    try {
      return op.apply(target(b));
    } catch (ChatBuilderException e) {
      if (!b.lost && SUSPICIOUS.contains(e.code())) {
        verify(b); // the pod may be gone before the watch said so
      }
      if (b.lost) {
        throw b.lostError(e);
      }
      throw e;
    }
  }

  static KubernetesSandboxProvider.Binding live(KubernetesSandboxProvider.Binding b) {
    if (b.lost) {
      throw b.lostError(null);
    }
    return b;
  }

  @Override public List<FileEntry> list(String d, boolean r, int l) { return call(s -> s.list(d, r, l)); }
  @Override public FileContent read(String p) { return call(s -> s.read(p)); }
  @Override public Optional<FileContent> tryRead(String p) { return call(s -> s.tryRead(p)); }
  @Override public WriteOutcome write(String p, byte[] c) { return call(s -> s.write(p, c)); }
  @Override public List<String> delete(String p) { return call(s -> s.delete(p)); }
  @Override public void rename(String f, String t) { call(s -> { s.rename(f, t); return null; }); }
  @Override public SearchResult search(SearchQuery q) { return call(s -> s.search(q)); }
  @Override public CommandResult run(CommandRequest r, CommandListener l, Cancellation c) { return call(s -> s.run(r, l, c)); }
  @Override public CommandPolicy policy() { return call(Sandbox::policy); }
  @Override public SortedMap<String, Long> files() { return call(Sandbox::files); }
  @Override public ChangeScan scanChanges() { return call(Sandbox::scanChanges); }
  @Override public void acknowledgeChanges(long g) { call(s -> { s.acknowledgeChanges(g); return null; }); }
  @Override public void apply(Map<String, Optional<byte[]>> f) { call(s -> { s.apply(f); return null; }); }
  @Override public void removeAbandonedWrites() { call(s -> { s.removeAbandonedWrites(); return null; }); }
}
