/**
 * Duplicate detection for submitted questions (issue 6, point 7): a new question is compared with the session's
 * recent ones, prepared once as a board (flat arrays of word numbers) that each ask extends. Pure functions, no I/O.
 */

export const DEFAULT_DUPLICATE_THRESHOLD = 0.85;
/** Questions with fewer words than this are duplicates only when equal after normalization. */
export const MIN_WORDS_FOR_SIMILARITY = 4;

// "+" and "#" ending a word are kept, or "What's new in C#?" and "What's new in C++?" would be the same question.
const WORD = /[\p{L}\p{N}]+(?:['’.\u2010\u2011-][\p{L}\p{N}]+)*[+#]*/gu;
// Most questions are plain ASCII: skipping NFKD and the Unicode classes makes them about three times cheaper,
// which matters when a submission is compared with 500 others.
const ASCII_WORD = /[a-z0-9]+(?:['.-][a-z0-9]+)*[+#]*/g;
const NON_ASCII = /[\u0080-\uffff]/; // any UTF-16 unit above ASCII, surrogates included
const JOINER = /['’.\u2010\u2011-]/g;
const HAS_JOINER = /['’.\u2010\u2011-]/;

function questionWords(text: string): string[] {
  let words: string[] | null;
  if (NON_ASCII.test(text)) {
    const folded = text
      .normalize("NFKD")
      // Upper then lower approximates full case folding: "ß" → "SS" → "ss", final "ς" and "σ" meet.
      .toUpperCase()
      .toLowerCase()
      // Accents (NFKD split them off) and invisible format characters, so a zero-width space hides no copy.
      .replace(/[\p{M}\p{Cf}]+/gu, "");
    words = folded.match(WORD);
  } else {
    words = text.toLowerCase().match(ASCII_WORD);
  }
  if (words === null) return [];
  for (let i = 0; i < words.length; i += 1) {
    if (HAS_JOINER.test(words[i]!)) words[i] = words[i]!.replace(JOINER, "");
  }
  return words;
}

/**
 * Text reduced for duplicate comparison: case-folded (Unicode), accents removed (NFKD), punctuation and repeated
 * whitespace dropped, trimmed: its words joined by single spaces. Inside a word, apostrophes, dots and hyphens
 * are dropped ("don't" → "dont"); elsewhere punctuation separates words ("and/or" → "and or"). "+" and "#"
 * ending a word stay ("C++", "C#"). Invisible format characters (zero-width spaces) are dropped.
 */
export function normalizeQuestion(text: string): string {
  return questionWords(text).join(" ");
}

/**
 * Words as small integers: each distinct word gets the next number the first time a question on a board uses
 * it. Comparing two questions is then a merge of two sorted number arrays, with no map to fill or look up per
 * pair. When the numbering starts over (it is bounded), `numbering` moves on and boards numbered before are
 * prepared again.
 */
const wordIds = new Map<string, number>();
/** A soft bound: checked between calls, so one call may pass it by the words of its texts. */
const WORD_IDS_MAX = 500_000;
let numbering = 0;

/** A question prepared once: its normalized text and its word ids, sorted. */
interface Candidate {
  normalized: string;
  ids: Int32Array;
}

/** Bounded; the oldest entries go first. A board read afresh holds mostly texts prepared before. */
const candidates = new Map<string, Candidate>();
const CANDIDATES_MAX = 20_000;

function sortedIds(words: readonly string[], intern: boolean): Int32Array {
  const ids = new Int32Array(words.length);
  for (let i = 0; i < words.length; i += 1) {
    let id = wordIds.get(words[i]!);
    if (id === undefined) {
      if (intern) wordIds.set(words[i]!, (id = wordIds.size));
      // A word no question on the board has: it can match nothing, each occurrence its own number.
      else id = -1 - i;
    }
    ids[i] = id;
  }
  return ids.sort();
}

function candidateOf(text: string): Candidate {
  let candidate = candidates.get(text);
  if (candidate === undefined) {
    const words = questionWords(text);
    candidate = { normalized: words.join(" "), ids: sortedIds(words, true) };
    if (candidates.size >= CANDIDATES_MAX) candidates.delete(candidates.keys().next().value!);
    candidates.set(text, candidate);
  }
  return candidate;
}

/**
 * A session's recent questions, newest first, prepared for `findDuplicate`: every question's sorted word ids in
 * one flat array (`starts[k]` to `starts[k + 1]`), so a check reads one contiguous block instead of a few hundred
 * objects scattered over the heap, which is what it costs on a process that was idle a moment before.
 * Immutable: `withNewest` makes the next one.
 */
export interface DuplicateBoard {
  readonly questions: ReadonlyArray<{ id: string; text: string }>;
  readonly numbering: number;
  readonly ids: Int32Array;
  readonly starts: Int32Array;
  readonly normalized: readonly string[];
}

function restartNumberingIfFull(): void {
  if (wordIds.size < WORD_IDS_MAX) return;
  wordIds.clear();
  candidates.clear();
  numbering += 1;
}

/** The board of these questions, newest first. */
export function duplicateBoard(questions: ReadonlyArray<{ id: string; text: string }>): DuplicateBoard {
  restartNumberingIfFull();
  const prepared = questions.map((question) => candidateOf(question.text));
  const starts = new Int32Array(prepared.length + 1);
  for (let k = 0; k < prepared.length; k += 1) starts[k + 1] = starts[k]! + prepared[k]!.ids.length;
  const ids = new Int32Array(starts[prepared.length]!);
  for (let k = 0; k < prepared.length; k += 1) ids.set(prepared[k]!.ids, starts[k]);
  return { questions, numbering, ids, starts, normalized: prepared.map((c) => c.normalized) };
}

/** `board` with `question` as its newest, keeping at most `window` questions. */
export function withNewest(
  board: DuplicateBoard,
  question: { id: string; text: string },
  window: number,
): DuplicateBoard {
  const questions = [question, ...board.questions.slice(0, window - 1)];
  restartNumberingIfFull();
  if (board.numbering !== numbering) return duplicateBoard(questions);
  const added = candidateOf(question.text);
  const kept = questions.length - 1;
  const starts = new Int32Array(kept + 2);
  starts[1] = added.ids.length;
  for (let k = 0; k < kept; k += 1) starts[k + 2] = added.ids.length + board.starts[k + 1]!;
  const ids = new Int32Array(starts[kept + 1]!);
  ids.set(added.ids);
  ids.set(board.ids.subarray(0, board.starts[kept]), added.ids.length);
  return {
    questions,
    numbering,
    ids,
    starts,
    normalized: [added.normalized, ...board.normalized.slice(0, kept)],
  };
}

/** How many words a question shares with the board's `k`th, counted as multisets (a word twice in both: 2). */
function sharedWords(a: Int32Array, board: DuplicateBoard, k: number): number {
  const b = board.ids;
  const end = board.starts[k + 1]!;
  let shared = 0;
  let i = 0;
  let j = board.starts[k]!;
  while (i < a.length && j < end) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      shared += 1;
      i += 1;
      j += 1;
    } else if (x < y) i += 1;
    else j += 1;
  }
  return shared;
}

/**
 * The existing question that `text` duplicates, or null: the same after normalization, or near-identical.
 *
 * Near-identical is the Sørensen–Dice coefficient over the two questions' words counted as multisets:
 * 2·|shared words| / (|words of one| + |words of the other|). Chosen because the brief's examples must match at
 * 0.85: one word changed in a 10-word question scores 0.90 (Jaccard over word sets: 0.82) and one word added 0.95;
 * Dice over word bigrams is too strict (one changed word breaks two bigrams: 0.78). It ignores word order, which
 * costs little: the same words reordered are nearly always the same question. It also means any question of 7
 * or more words with one word changed is a duplicate at 0.85, even when that word is the point ("learn Rust" /
 * "learn Go"); raise the threshold to be stricter. Under MIN_WORDS_FOR_SIMILARITY words on either side, only an
 * exact match counts ("Why?" vs "How?"). Ties go to the earlier (newer) question; an exact match wins at once.
 *
 * `existing`: a board (the service keeps one per session), or the questions themselves, newest first.
 */
export function findDuplicate(
  text: string,
  existing: DuplicateBoard | ReadonlyArray<{ id: string; text: string }>,
  threshold: number = DEFAULT_DUPLICATE_THRESHOLD,
): { id: string; similarity: number } | null {
  if (!(threshold > 0 && threshold <= 1))
    throw new RangeError(`threshold must be in (0, 1], got ${threshold}`);
  const words = questionWords(text);
  if (words.length === 0) return null; // nothing left to compare: "???" is no copy of "!!!"
  let board = "starts" in existing ? existing : duplicateBoard(existing);
  restartNumberingIfFull();
  if (board.numbering !== numbering) board = duplicateBoard(board.questions);
  const n = words.length;
  const compareWords = n >= MIN_WORDS_FOR_SIMILARITY;
  const normalized = words.join(" ");
  // After the board's questions: every word one of them has has its number.
  const ids = sortedIds(words, false);

  let best: { id: string; similarity: number } | null = null;
  const count = board.questions.length;
  for (let k = 0; k < count; k += 1) {
    const m = board.starts[k + 1]! - board.starts[k]!;
    const total = n + m;
    // Even sharing every word of the shorter question, this one cannot reach the threshold or beat the best.
    const ceiling = (2 * Math.min(n, m)) / total;
    const similar =
      compareWords &&
      m >= MIN_WORDS_FOR_SIMILARITY &&
      ceiling >= threshold &&
      (best === null || ceiling > best.similarity);
    // Only a question with as many words may be the same text; the merge tells first whether it has the same ones.
    if (!similar && m !== n) continue;
    const shared = sharedWords(ids, board, k);
    if (shared === n && m === n && board.normalized[k] === normalized) {
      return { id: board.questions[k]!.id, similarity: 1 };
    }
    if (!similar) continue;
    const similarity = (2 * shared) / total;
    if (similarity >= threshold && (best === null || similarity > best.similarity)) {
      best = { id: board.questions[k]!.id, similarity };
    }
  }
  return best;
}
