package io.chatbuilder.store.git;

import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.CheckpointDraft;
import io.chatbuilder.core.checkpoint.CheckpointType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * Prints the milliseconds from nothing to a first written ref in a fresh JVM: "store" through
 * {@link GitCheckpointStore}, "jgit-default" through plain JGit with its default (foreground)
 * file-system timing probe. Run with an empty XDG_CONFIG_HOME so JGit has no cached probe result.
 */
public final class FirstUse {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    long start = System.nanoTime();
    if (args[0].equals("store")) {
      try (GitCheckpointStore store = GitCheckpointStore.open(dir)) {
        store.append(new CheckpointDraft("app", Optional.empty(), Optional.empty(),
            Map.of("index.html", Optional.of("<h1>hi</h1>".getBytes(StandardCharsets.UTF_8))), CheckpointType.INITIAL,
            "first", Map.of(), Optional.empty(), Optional.empty(), Optional.empty(), 0, ChangeStats.EMPTY, Instant.now()));
        System.out.println((System.nanoTime() - start) / 1_000_000);
      }
    } else {
      try (Repository repo = new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build()) {
        repo.create(true);
        ObjectId blob;
        try (ObjectInserter ins = repo.newObjectInserter()) {
          blob = ins.insert(Constants.OBJ_BLOB, "<h1>hi</h1>".getBytes(StandardCharsets.UTF_8));
          ins.flush();
        }
        RefUpdate u = repo.updateRef("refs/first");
        u.setNewObjectId(blob);
        u.setExpectedOldObjectId(ObjectId.zeroId());
        u.update();
        System.out.println((System.nanoTime() - start) / 1_000_000);
      }
    }
  }
}
