package io.chatbuilder.core.sandbox;

import io.chatbuilder.core.Cancellation;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;

/**
 * A sandbox that hands every call to another: the base of decorators that change a few calls
 * (fencing, recording writes, a host's auditing or fault injection in tests). Override what the
 * decorator is about; everything else, default methods included, goes to {@link #delegate()}, except
 * {@link #fenced(long)}: the delegate's fenced view would bypass the decorator, so a decorator that
 * is used under leases says what fencing means for it (else {@code fenced} fails, as
 * {@link Sandbox}'s default does).
 */
public abstract class ForwardingSandbox implements Sandbox {
  private final Sandbox delegate;

  protected ForwardingSandbox(Sandbox delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate == null");
  }

  /** The sandbox calls go to. */
  protected final Sandbox delegate() {
    return delegate;
  }

  @Override
  public String id() {
    return delegate.id();
  }

  @Override
  public List<FileEntry> list(String directory, boolean recursive, int limit) {
    return delegate.list(directory, recursive, limit);
  }

  @Override
  public FileContent read(String path) {
    return delegate.read(path);
  }

  @Override
  public Optional<FileContent> tryRead(String path) {
    return delegate.tryRead(path);
  }

  @Override
  public WriteOutcome write(String path, byte[] content) {
    return delegate.write(path, content);
  }

  @Override
  public List<String> delete(String path) {
    return delegate.delete(path);
  }

  @Override
  public void rename(String from, String to) {
    delegate.rename(from, to);
  }

  @Override
  public SearchResult search(SearchQuery query) {
    return delegate.search(query);
  }

  @Override
  public CommandResult run(CommandRequest request, CommandListener listener, Cancellation cancellation) {
    return delegate.run(request, listener, cancellation);
  }

  @Override
  public SandboxService startService(ServiceRequest request, CommandListener output) {
    return delegate.startService(request, output);
  }

  @Override
  public CommandPolicy policy() {
    return delegate.policy();
  }

  @Override
  public SortedMap<String, Long> files() {
    return delegate.files();
  }

  @Override
  public ChangeScan scanChanges() {
    return delegate.scanChanges();
  }

  @Override
  public void acknowledgeChanges(long generation) {
    delegate.acknowledgeChanges(generation);
  }

  @Override
  public void apply(Map<String, Optional<byte[]>> files) {
    delegate.apply(files);
  }

  @Override
  public void removeAbandonedWrites() {
    delegate.removeAbandonedWrites();
  }

  @Override
  public Optional<String> processRoot() {
    return delegate.processRoot();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
