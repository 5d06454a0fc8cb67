package io.chatbuilder.store.git;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * The first-parent chain of one app's ref, oldest first, with a position index, so {@code find}
 * can tell in O(1) whether a commit belongs to the app and {@code list} can page without walking.
 * It follows the ref incrementally: when the tip moved, only the new commits are walked.
 * Guarded by its own monitor.
 */
final class AppHistory {
  private final List<ObjectId> chain = new ArrayList<>();
  private final Map<ObjectId, Integer> positions = new HashMap<>();
  private ObjectId tip;

  /** Brings the index up to {@code newTip} (null when the ref does not exist). */
  synchronized void syncTo(ObjectId newTip, ObjectReader reader) throws IOException {
    if (newTip == null) {
      clear();
      return;
    }
    if (newTip.equals(tip)) {
      return;
    }
    List<ObjectId> added = new ArrayList<>();
    Integer joinAt = null;
    try (RevWalk walk = new RevWalk(reader)) {
      RevCommit c = walk.parseCommit(newTip);
      while (true) {
        Integer known = positions.get(c);
        if (known != null) {
          joinAt = known;
          break;
        }
        added.add(c.copy());
        if (c.getParentCount() == 0) {
          break;
        }
        c = walk.parseCommit(c.getParent(0));
      }
    }
    if (joinAt == null) {
      clear();
    } else {
      // Usually the old tip; anything else means the ref was rewritten outside this store.
      for (int i = chain.size() - 1; i > joinAt; i--) {
        positions.remove(chain.remove(i));
      }
    }
    for (int i = added.size() - 1; i >= 0; i--) {
      positions.put(added.get(i), chain.size());
      chain.add(added.get(i));
    }
    tip = newTip.copy();
  }

  /** Records a commit this store just put on top of the known tip. */
  synchronized void appended(ObjectId parent, ObjectId commit) {
    if ((parent == null && tip == null) || (parent != null && parent.equals(tip))) {
      positions.put(commit.copy(), chain.size());
      chain.add(commit.copy());
      tip = commit.copy();
    }
  }

  /** The commit's position on the chain (0 = oldest), or -1 if it is not on it. */
  synchronized int position(ObjectId commit) {
    Integer at = positions.get(commit);
    return at == null ? -1 : at;
  }

  synchronized boolean contains(ObjectId commit) {
    return positions.containsKey(commit);
  }

  /**
   * Up to {@code limit} commit ids, newest first, starting below {@code before} (or at the tip when
   * null); null if {@code before} is not on the chain.
   */
  synchronized List<ObjectId> page(int limit, ObjectId before) {
    int end = chain.size();
    if (before != null) {
      Integer at = positions.get(before);
      if (at == null) {
        return null;
      }
      end = at;
    }
    List<ObjectId> out = new ArrayList<>(Math.min(limit, end));
    for (int i = end - 1; i >= 0 && out.size() < limit; i--) {
      out.add(chain.get(i));
    }
    return out;
  }

  private void clear() {
    chain.clear();
    positions.clear();
    tip = null;
  }
}
