/**
 * "The evening's switch-off never came." Someone who falls in the evening leaves the light or the
 * television on; the usual night then looks like sleep to the silence rules, and the alert waits for
 * the morning. This watches the power a home draws in the small hours when all is well (the lowest
 * reading of each half hour between 02:00 and 05:00, averaged over nights), and says when, some time
 * into the sleep window, the home still draws clearly more than that.
 */
export class NightLights {
  /** Lowest power of the current and the last complete half hour (W). */
  #windowMin = Number.POSITIVE_INFINITY;
  #lastWindowMin = Number.NaN;
  #prevWindowMin = Number.NaN;
  /** Usual lowest power in the small hours (W), and how many half hours it rests on. */
  #base = Number.NaN;
  #baseN = 0;

  /** A power reading of the home's electricity meter. */
  power(w: number): void {
    if (w < this.#windowMin) this.#windowMin = w;
  }

  /** Every half hour: closes the window; in the small hours (and all quiet) it teaches the baseline. */
  roll(smallHours: boolean, learn: boolean): void {
    this.#prevWindowMin = this.#lastWindowMin;
    this.#lastWindowMin = Number.isFinite(this.#windowMin) ? this.#windowMin : Number.NaN;
    this.#windowMin = Number.POSITIVE_INFINITY;
    if (!smallHours || !learn || Number.isNaN(this.#lastWindowMin)) return;
    this.#baseN++;
    const rate = Math.max(1 / this.#baseN, 0.05);
    this.#base = Number.isNaN(this.#base)
      ? this.#lastWindowMin
      : this.#base + (this.#lastWindowMin - this.#base) * rate;
  }

  /** Nights of baseline behind the verdict (six half hours a night). */
  nights(): number {
    return this.#baseN / 6;
  }

  /**
   * How much more than usual at night the home drew throughout the last hour (the lower of its two
   * half-hour minimums, so a compressor running through one half hour is not a light); NaN if unknown.
   */
  excessW(): number {
    if (this.nights() < 3) return Number.NaN;
    return Math.min(this.#lastWindowMin, this.#prevWindowMin) - this.#base;
  }

  /**
   * How much more than usual at night the home draws now: the lowest reading of the current half hour
   * (of the last one, before this one has a reading), so a compressor's run is not a light; NaN if
   * unknown.
   */
  onNowW(): number {
    if (this.nights() < 3) return Number.NaN;
    const now = Number.isFinite(this.#windowMin) ? this.#windowMin : this.#lastWindowMin;
    return now - this.#base;
  }

  baseW(): number {
    return this.#base;
  }
}
