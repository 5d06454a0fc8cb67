package io.chatbuilder.examples.studio;

import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.runtime.DiagnosticListener;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.PublishResult;
import io.chatbuilder.core.runtime.PreviewDiagnostic;
import io.chatbuilder.core.runtime.Publisher;
import io.chatbuilder.core.runtime.StatusListener;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Sends apps with a {@code package.json} to the configured dev server and build (e.g. Vite), and
 * plain static apps to the studio's static preview and copy, so both kinds of app work in one
 * studio.
 */
final class PackageJsonSwitch {
  static final String PACKAGE_JSON = "package.json";

  private PackageJsonSwitch() {}

  static DraftRuntime drafts(DraftRuntime devServer, DraftRuntime staticFiles, Predicate<String> hasPackageJson) {
    return new DraftRuntime() {
      private DraftRuntime pick(String appId) {
        return hasPackageJson.test(appId) ? devServer : staticFiles;
      }

      @Override
      public DraftStatus start(String appId, StatusListener listener) {
        return pick(appId).start(appId, listener);
      }

      @Override
      public DraftStatus status(String appId) {
        return pick(appId).status(appId);
      }

      @Override
      public List<PreviewDiagnostic> diagnostics(String appId) {
        return pick(appId).diagnostics(appId);
      }

      @Override
      public void clearDiagnostics(String appId) {
        devServer.clearDiagnostics(appId);
        staticFiles.clearDiagnostics(appId);
      }

      @Override
      public RunHandle.Subscription onDiagnostic(DiagnosticListener listener) {
        // Both runtimes report: an app can switch between them when its package.json comes or goes.
        RunHandle.Subscription dev = devServer.onDiagnostic(listener);
        RunHandle.Subscription files = staticFiles.onDiagnostic(listener);
        return () -> {
          try {
            dev.close();
          } finally {
            files.close();
          }
        };
      }

      @Override
      public void stop(String appId) {
        devServer.stop(appId);
        staticFiles.stop(appId);
      }

      @Override
      public void close() {
        try {
          devServer.close();
        } finally {
          staticFiles.close();
        }
      }
    };
  }

  static Publisher publishers(Publisher build, Publisher copy) {
    return new Publisher() {
      @Override
      public PublishResult publish(String appId, Checkpoint checkpoint, CheckpointStore store, StatusListener listener) {
        boolean hasPackageJson = !store.lookup(checkpoint.resultRevisionId(), List.of(PACKAGE_JSON)).isEmpty();
        return (hasPackageJson ? build : copy).publish(appId, checkpoint, store, listener);
      }

      @Override
      public Optional<PublishResult> find(String appId, String publishId) {
        return build.find(appId, publishId).or(() -> copy.find(appId, publishId));
      }

      @Override
      public List<PublishResult> list(String appId, int limit) {
        List<PublishResult> all = new ArrayList<>(build.list(appId, limit));
        all.addAll(copy.list(appId, limit));
        all.sort(Comparator.comparing(PublishResult::startedAt).reversed());
        return List.copyOf(all.subList(0, Math.min(limit, all.size())));
      }
    };
  }
}
