package io.chatbuilder.store.git;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.internal.storage.file.GC;
import org.eclipse.jgit.internal.storage.pack.PackWriter;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.pack.PackConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the repository from degrading: packs the loose objects written since the last run into one
 * new pack (cost proportional to what was written, like {@code git repack -d}), deletes their loose
 * copies, and when packs pile up, consolidates everything with JGit's {@link GC} (like
 * {@code git gc}). Unreachable objects (from lost compare-and-set races) are left for GC's prune,
 * which only removes them after {@code gc.pruneExpire} (two weeks by default).
 */
final class Maintenance {
  private static final Logger LOG = LoggerFactory.getLogger(Maintenance.class);

  private final FileRepository repo;
  private final int maxPacks;

  Maintenance(FileRepository repo, int maxPacks) {
    this.repo = repo;
    this.maxPacks = maxPacks;
  }

  synchronized void run() throws IOException {
    List<ObjectId> loose = looseObjects(repo.getObjectsDirectory().toPath());
    if (!loose.isEmpty()) {
      packLoose(loose);
    }
    int packs = repo.getObjectDatabase().getPacks().size();
    if (packs > maxPacks) {
      LOG.debug("{} packs in {}, consolidating", packs, repo.getDirectory());
      try {
        GC gc = new GC(repo);
        // Like `git repack -a -d`: drop the packs just merged now rather than after JGit's default
        // hour; readers (JGit and git) rescan the pack directory when a pack disappears.
        gc.setPackExpireAgeMillis(0);
        gc.gc().get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted during gc", e);
      } catch (ExecutionException | java.text.ParseException | org.eclipse.jgit.api.errors.GitAPIException e) {
        throw new IOException("gc failed: " + e.getMessage(), e);
      }
    }
  }

  static List<ObjectId> looseObjects(Path objects) throws IOException {
    List<ObjectId> ids = new ArrayList<>();
    try (DirectoryStream<Path> fanout = Files.newDirectoryStream(objects, "[0-9a-f][0-9a-f]")) {
      for (Path dir : fanout) {
        String prefix = dir.getFileName().toString();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
          for (Path file : files) {
            String id = prefix + file.getFileName();
            if (ObjectId.isId(id)) {
              ids.add(ObjectId.fromString(id));
            }
          }
        } catch (java.nio.file.NoSuchFileException e) {
          // emptied and removed by a concurrent prune
        }
      }
    }
    return ids;
  }

  private void packLoose(List<ObjectId> loose) throws IOException {
    Path packDir = repo.getObjectDatabase().getPackDirectory().toPath();
    Files.createDirectories(packDir);
    Path tmpPack = Files.createTempFile(packDir, "chatbuilder_", ".pack_tmp");
    Path tmpIdx = Files.createTempFile(packDir, "chatbuilder_", ".idx_tmp");
    try (ObjectReader reader = repo.newObjectReader();
        RevWalk walk = new RevWalk(reader);
        PackWriter writer = new PackWriter(new PackConfig(repo), reader)) {
      List<RevObject> objects = new ArrayList<>(loose.size());
      for (ObjectId id : loose) {
        try {
          objects.add(walk.lookupAny(id, reader.open(id).getType()));
        } catch (MissingObjectException e) {
          // pruned by someone else since the listing
        }
      }
      if (objects.isEmpty()) {
        return;
      }
      writer.preparePack(objects.iterator());
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmpPack))) {
        writer.writePack(NullProgressMonitor.INSTANCE, NullProgressMonitor.INSTANCE, out);
      }
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmpIdx))) {
        writer.writeIndex(out);
      }
      String name = "pack-" + writer.computeName().name();
      Path pack = packDir.resolve(name + ".pack");
      Path idx = packDir.resolve(name + ".idx");
      // Readers find packs through their .idx, so the .pack must be complete before the .idx appears.
      moveIfAbsent(tmpPack, pack);
      moveIfAbsent(tmpIdx, idx);
      repo.getObjectDatabase().openPack(pack.toFile());
      LOG.debug("packed {} loose objects into {}", objects.size(), name);
    } finally {
      Files.deleteIfExists(tmpPack);
      Files.deleteIfExists(tmpIdx);
    }
    new GC(repo).prunePacked();
  }

  private static void moveIfAbsent(Path from, Path to) throws IOException {
    if (Files.exists(to)) {
      return; // same name = same content, written by another process
    }
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException e) {
      // a concurrent packer won the rename with identical content
    }
  }
}
