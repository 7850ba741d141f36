/** How many invalid lines, and how many duplicates, one round reports one by one. */
export const LISTED_LIST_PROBLEMS = 1000;

/**
 * Decides which of a round's invalid lines and duplicates are reported one
 * by one (stderr, the summary's `entries` and `duplicates`) and counts the
 * rest. A list of a million garbage lines would otherwise cost a million
 * summary entries in memory, a million stderr lines and a summary file of
 * a hundred megabytes, while the first thousand already say what is wrong.
 */
export class ListProblemCap {
  private listedInvalid = 0;
  private listedDuplicates = 0;
  /** Invalid lines counted but not listed, by error code. */
  readonly omittedByCode: Record<string, number> = {};
  omittedInvalidLines = 0;
  omittedDuplicates = 0;

  constructor(readonly limit = LISTED_LIST_PROBLEMS) {}

  /** True when this invalid line is to be listed; otherwise it is counted under its code. */
  admitInvalid(code: string): boolean {
    if (this.listedInvalid < this.limit) {
      this.listedInvalid++;
      return true;
    }
    this.omittedInvalidLines++;
    this.omittedByCode[code] = (this.omittedByCode[code] ?? 0) + 1;
    return false;
  }

  /** True when this duplicate is to be listed; otherwise it is counted. */
  admitDuplicate(): boolean {
    if (this.listedDuplicates < this.limit) {
      this.listedDuplicates++;
      return true;
    }
    this.omittedDuplicates++;
    return false;
  }
}
