/** The process exit codes every command shares (a public interface: scripts and systemd branch on them). */
export const EXIT_OK = 0;
/** Some URLs failed; the rest were stored. */
export const EXIT_SOME_FAILED = 1;
/** A usage error, an unreadable list or an unusable store: nothing was attempted. */
export const EXIT_USAGE = 2;
