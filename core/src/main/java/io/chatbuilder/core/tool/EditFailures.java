package io.chatbuilder.core.tool;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counts failed edits per run and file, so that after {@link #HINT_AFTER} failures in a row on
 * the same file the error tells the model to stop patching and write the whole file. Shared by the
 * edit tools and {@code write_file} of one tool set; bounded, as runs never say they ended.
 */
final class EditFailures {
  static final int HINT_AFTER = 3;
  static final int MAX_ENTRIES = 1024;

  private final Map<String, Integer> failures = new LinkedHashMap<>(16, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
      return size() > MAX_ENTRIES;
    }
  };

  /** Records a failure and returns how many failures in a row this file has had in the run. */
  synchronized int failed(String runId, String path) {
    return failures.merge(key(runId, path), 1, Integer::sum);
  }

  synchronized void succeeded(String runId, String path) {
    failures.remove(key(runId, path));
  }

  /** The error message, with the fallback advice once the file has failed often enough. */
  String message(String runId, String path, String error) {
    int count = failed(runId, path);
    if (count < HINT_AFTER) {
      return error;
    }
    if (path.isEmpty()) {
      return error + "\n\nPatching has now failed " + count + " times in a row. Stop patching: read the files with "
          + "read_file and write their complete new content with write_file.";
    }
    return error + "\n\nEditing " + path + " has now failed " + count + " times in a row. Stop patching it: read it "
        + "with read_file and write its complete new content with write_file.";
  }

  private static String key(String runId, String path) {
    return runId + '\u0000' + path;
  }
}
