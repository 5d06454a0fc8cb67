package io.chatbuilder.runtime.vite;

import io.chatbuilder.core.sandbox.Sandbox;
import java.nio.file.Path;

/**
 * Opens the sandbox a publish build runs in: on {@code directory}, the fresh build directory
 * {@link VitePublisher} filled with the checkpoint's files, with the isolation and policy the host
 * gives the app. {@link VitePublisher} closes it when the build is over. With {@code sandbox-local}:
 *
 * <pre>{@code
 * BuildSandboxes builds = (appId, dir) -> LocalSandbox.builder(dir).id(appId + "-publish").build();
 * }</pre>
 */
@FunctionalInterface
public interface BuildSandboxes {
  Sandbox open(String appId, Path directory);
}
