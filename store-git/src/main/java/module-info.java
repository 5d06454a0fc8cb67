/** Checkpoints in a Git repository (JGit). */
module io.chatbuilder.store.git {
  requires transitive io.chatbuilder.core;
  requires org.eclipse.jgit;
  requires org.slf4j;

  exports io.chatbuilder.store.git;
}
