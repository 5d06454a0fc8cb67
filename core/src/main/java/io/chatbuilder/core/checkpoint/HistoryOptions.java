package io.chatbuilder.core.checkpoint;

/**
 * Options of undo, redo and restore.
 *
 * @param rewindConversation also cut the conversation back to where the target checkpoint was made,
 *     so the model forgets the undone work (a note telling it what happened is always added)
 */
public record HistoryOptions(boolean rewindConversation) {
  public static final HistoryOptions DEFAULTS = new HistoryOptions(false);

  public static HistoryOptions rewindingConversation() {
    return new HistoryOptions(true);
  }
}
