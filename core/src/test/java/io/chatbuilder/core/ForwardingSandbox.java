package io.chatbuilder.core;

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

/** A sandbox that forwards every call, for tests that inject a fault into one of them. */
class ForwardingSandbox implements Sandbox {
  private final Sandbox delegate;

  ForwardingSandbox(Sandbox delegate) {
    this.delegate = delegate;
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
  public void close() {
    delegate.close();
  }

  @Override
  public Sandbox fenced(long token) {
    // A fault injector, not a fence: the sandbox it wraps is never shared by two holders in these tests.
    return io.chatbuilder.core.sandbox.FencedSandbox.of(this, token, new io.chatbuilder.core.sandbox.FencedSandbox.Fence() {
      @Override
      public <T> T guard(long t, java.util.function.Supplier<T> mutation) {
        return mutation.get();
      }
    });
  }
}
