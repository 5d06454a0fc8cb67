package io.chatbuilder.core.runtime;

/**
 * Receives the preview diagnostics of every app of a {@link DraftRuntime} as they arrive: a new
 * diagnostic, or one seen again with a higher {@link PreviewDiagnostic#count()}. Called on the
 * runtime's thread: keep it quick (hand off to a queue). Updates of one diagnostic may be coalesced;
 * {@link DraftRuntime#diagnostics} is always the full current state.
 */
@FunctionalInterface
public interface DiagnosticListener {
  void onDiagnostic(String appId, PreviewDiagnostic diagnostic);
}
