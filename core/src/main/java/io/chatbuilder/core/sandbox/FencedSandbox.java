package io.chatbuilder.core.sandbox;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.LeaseLostException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The view {@link Sandbox#fenced(long)} returns, for implementations that keep their highest token
 * behind a {@link Fence}: reads go straight to the sandbox; every mutation (write, delete, rename,
 * apply) runs inside the fence with the view's token; a command or service is started only after
 * the fence accepted the token. Closing the view closes nothing: it borrows the sandbox.
 */
public final class FencedSandbox extends ForwardingSandbox {
  private final Sandbox target;
  private final long token;
  private final Fence fence;

  private FencedSandbox(Sandbox target, long token, Fence fence) {
    super(target);
    this.target = target;
    this.token = token;
    this.fence = fence;
  }

  /**
   * A view of {@code target} whose mutations pass {@code fence} with {@code token}.
   *
   * @throws IllegalArgumentException if {@code token < 1} (leases' tokens start at 1)
   */
  public static Sandbox of(Sandbox target, long token, Fence fence) {
    Objects.requireNonNull(target, "target == null");
    Objects.requireNonNull(fence, "fence == null");
    checkToken(token);
    return new FencedSandbox(target, token, fence);
  }

  /** Refuses tokens no lease can carry. */
  public static void checkToken(long token) {
    if (token < 1) {
      throw new IllegalArgumentException("fencing token must be >= 1, got " + token);
    }
  }

  /** The error every fence throws for a stale token, so all sandboxes say it the same way. */
  public static LeaseLostException stale(String sandboxId, long token, long highest) {
    return new LeaseLostException("sandbox " + sandboxId + " refused a change with fencing token " + token
        + ": a newer lease (token " + highest + ") took over the app; nothing was written");
  }

  /**
   * Keeps the highest token a sandbox has seen. {@link #guard} compares {@code token} with it,
   * atomically with {@code mutation} (no other guarded mutation of the same app interleaves):
   * a lower token throws {@link #stale} without running it; an equal or higher one becomes the
   * highest and the mutation runs.
   */
  @FunctionalInterface
  public interface Fence {
    <T> T guard(long token, Supplier<T> mutation);
  }

  /**
   * Passes the fence without changing anything: throws {@link LeaseLostException} if the token is
   * stale, else records it. For servers that start a command asynchronously but must refuse a
   * stale holder in their answer.
   */
  public void check() {
    fence.guard(token, () -> null);
  }

  /** The fencing token this view carries. */
  public long token() {
    return token;
  }





  @Override
  public WriteOutcome write(String path, byte[] content) {
    return fence.guard(token, () -> target.write(path, content));
  }

  @Override
  public List<String> delete(String path) {
    return fence.guard(token, () -> target.delete(path));
  }

  @Override
  public void rename(String from, String to) {
    fence.guard(token, () -> {
      target.rename(from, to);
      return null;
    });
  }


  /** Checked when the command starts; a lease lost while it runs cancels it through the run's cancellation. */
  @Override
  public CommandResult run(CommandRequest request, CommandListener listener, Cancellation cancellation) {
    check();
    return target.run(request, listener, cancellation);
  }


  @Override
  public SandboxService startService(ServiceRequest request, CommandListener output) {
    check();
    return target.startService(request, output);
  }






  @Override
  public void apply(Map<String, Optional<byte[]>> files) {
    fence.guard(token, () -> {
      target.apply(files);
      return null;
    });
  }

  /** A fenced view of the same sandbox with another token. */
  @Override
  public Sandbox fenced(long token) {
    return of(target, token, fence);
  }

  /** Closes nothing: the view borrows the sandbox. */
  @Override
  public void close() {}
}
