package io.chatbuilder.core.sandbox;

/**
 * Opens the sandbox of an app; the provider decides where it lives (memory, a local directory, a
 * remote host). The facade calls it once per app while the sandbox is in use, outside its locks
 * (concurrent callers for one app wait for that one call), closes the sandbox after it has been
 * idle for a while, and calls it again on next use: a provider that caches sandboxes must not
 * return one that was closed.
 */
@FunctionalInterface
public interface SandboxProvider {
  Sandbox open(String appId);
}
