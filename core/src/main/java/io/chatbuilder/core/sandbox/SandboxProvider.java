package io.chatbuilder.core.sandbox;

/**
 * Opens the sandbox of an app. The facade calls it once per app and keeps the sandbox open; the
 * provider decides where it lives (memory, a local directory, a remote host).
 */
@FunctionalInterface
public interface SandboxProvider {
  Sandbox open(String appId);
}
