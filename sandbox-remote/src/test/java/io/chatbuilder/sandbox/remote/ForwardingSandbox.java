package io.chatbuilder.sandbox.remote;

import io.chatbuilder.core.Cancellation;
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

/** Forwards every call to a delegate; tests override single methods to count or slow them. */
class ForwardingSandbox implements Sandbox {
  final Sandbox delegate;

  ForwardingSandbox(Sandbox delegate) {
    this.delegate = delegate;
  }

  @Override public String id() { return delegate.id(); }
  @Override public List<FileEntry> list(String d, boolean r, int l) { return delegate.list(d, r, l); }
  @Override public FileContent read(String p) { return delegate.read(p); }
  @Override public Optional<FileContent> tryRead(String p) { return delegate.tryRead(p); }
  @Override public WriteOutcome write(String p, byte[] c) { return delegate.write(p, c); }
  @Override public List<String> delete(String p) { return delegate.delete(p); }
  @Override public void rename(String f, String t) { delegate.rename(f, t); }
  @Override public SearchResult search(SearchQuery q) { return delegate.search(q); }
  @Override public CommandResult run(CommandRequest r, CommandListener l, Cancellation c) { return delegate.run(r, l, c); }
  @Override public CommandPolicy policy() { return delegate.policy(); }
  @Override public SortedMap<String, Long> files() { return delegate.files(); }
  @Override public ChangeScan scanChanges() { return delegate.scanChanges(); }
  @Override public void acknowledgeChanges(long g) { delegate.acknowledgeChanges(g); }
  @Override public void apply(Map<String, Optional<byte[]>> f) { delegate.apply(f); }
  @Override public void close() { delegate.close(); }
}
