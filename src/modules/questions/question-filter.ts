/**
 * Content screening for submitted questions (issue 6, point 7): links, profanity and duplicates. Pure functions,
 * no I/O: the service reads the session's policy and recent questions and decides what to store.
 */
import { DataSet, RegExpMatcher, englishDataset, englishRecommendedTransformers } from "obscenity";

export interface ContentPolicy {
  /** What to do with a question containing profanity. */
  profanity: "reject" | "hold" | "mask";
  /** Most links (URLs, including bare domains like example.com/x and www.x.y) a question may contain. */
  maxLinks: number;
}

export type ContentVerdict =
  /** `text` masked under policy "mask" (each profane word, whole, turned into as many asterisks), else unchanged. */
  | { action: "accept"; text: string }
  /** Policy "hold": store it for moderation, text unchanged. */
  | { action: "hold"; text: string; reason: "profanity" }
  /** `message` is a sentence safe to show the attendee: it never repeats the offending word or link. */
  | { action: "reject"; code: "PROFANITY" | "TOO_MANY_LINKS"; message: string };

// ---------------------------------------------------------------------------------------------------------------
// Links

// Bare domains count only with a TLD from this list. Left out on purpose: TLDs that are English words (it, is, in,
// at, be, to, no, me, us, so, do, my...), so "it.Is" typed without a space is no link, and TLDs that are also
// file extensions (py, sh, rs, md, pl, cc, ps, ml, so...), so "setup.py" or "main.rs" in a technical talk is none.
const LINK_TLDS =
  "com|net|org|edu|gov|mil|int|io|co|ai|dev|app|info|biz|xyz|online|tech|ly|gg|tv|fm|" +
  "uk|ca|au|nz|ie|de|fr|nl|ch|es|se|dk|fi|ru|ua|cz|jp|cn|kr|tw|hk|sg|br|mx|za|eu";

// One pass, alternatives tried in order at each position, so "https://www.example.com/a" counts once.
// A label may not follow a letter, digit, dot, hyphen or slash (no counting "a.b.c.com" twice, nor a file path's
// tail); it may follow "@", so an e-mail address counts as a link: it is a contact channel just the same.
const LINK_PATTERN = new RegExp(
  String.raw`\b(?:https?|ftp):\/\/\S+` +
    String.raw`|\bwww\d{0,3}\.\S+` +
    String.raw`|(?<![\p{L}\p{N}_.\-\/])(?:[\p{L}\p{N}](?:[\p{L}\p{N}\-]{0,61}[\p{L}\p{N}])?\.)+(?:${LINK_TLDS})` +
    String.raw`(?![\p{L}\p{N}_\-])([\/:?#]\S*)?`,
  "giu",
);

/** How many links `text` contains (see ContentPolicy.maxLinks). */
export function countLinks(text: string): number {
  let count = 0;
  for (const match of text.matchAll(LINK_PATTERN)) {
    const [whole, path] = match;
    // "ASP.NET" and "VB.NET" name frameworks; shouted bare domains without a path are rare enough to let pass.
    const isBareDomain = !/^(?:https?|ftp):|^www/i.test(whole);
    if (isBareDomain && path === undefined && whole === whole.toUpperCase()) continue;
    count += 1;
  }
  return count;
}

// ---------------------------------------------------------------------------------------------------------------
// Profanity

// Plain vocabulary of medicine, biology and law ("sex differences", "rape law"): masking or holding it would damage
// serious questions. Moderators still see everything; insults and sexual slang stay in the list.
const CLINICAL_WORDS = new Set(["sex", "rape", "incest", "penis", "vagina", "semen", "anus"]);
// Ordinary words the English preset flags (checked with obscenity 0.4.6). Whitelisted terms are matched on the
// lower-cased text.
const EXTRA_WHITELIST = [
  "cockpit",
  "cumin",
  "cum laude",
  "shiitake",
  "dickinson",
  "moby dick",
  "moby-dick",
  "retardant",
];

const dataset = new DataSet<{ originalWord: string }>()
  .addAll(englishDataset)
  .removePhrasesIf((phrase) => CLINICAL_WORDS.has(phrase.metadata?.originalWord ?? ""));
const { blacklistedTerms, whitelistedTerms } = dataset.build();
// Built once: compiling the preset's patterns costs far more than matching one question.
const matcher = new RegExpMatcher({
  blacklistedTerms,
  whitelistedTerms: [...(whitelistedTerms ?? []), ...EXTRA_WHITELIST],
  ...englishRecommendedTransformers,
});

// The preset leaves out obscenity's skip-non-alphabetic transformer (it joins words: "bananas so" → "ass"), so
// "f.u.c.k" and "f u c k" pass it. We join only what cannot be ordinary prose: runs of 1–2 character pieces glued
// by punctuation ("f.u.c.k", "fu.ck", "f*ck"), and runs of three or more single characters split by anything
// ("f u c k", "s. h. 1. t"). "$" and "@" are pieces, as the leetspeak for s and a.
const PIECE = String.raw`[\p{L}\p{N}$@]`;
const NOT_PIECE = String.raw`[^\p{L}\p{N}$@]`;
const GLUED_RUN = new RegExp(
  String.raw`(?<!${PIECE})${PIECE}{1,2}(?:[^\p{L}\p{N}$@\s]{1,3}${PIECE}{1,2})+(?!${PIECE})`,
  "gu",
);
const SPACED_RUN = new RegExp(
  String.raw`(?<!${PIECE})${PIECE}(?:${NOT_PIECE}{1,3}${PIECE}){2,}(?!${PIECE})`,
  "gu",
);
const PIECE_CHAR = new RegExp(`^${PIECE}$`, "u");

interface Span {
  start: number; // inclusive, UTF-16 index
  end: number; // exclusive
}

function joinedRunSpans(text: string, pattern: RegExp, spans: Span[]): void {
  for (const run of text.matchAll(pattern)) {
    let joined = "";
    const origin: number[] = []; // origin[i]: index in `text` of joined[i]
    let offset = run.index;
    for (const char of run[0]) {
      if (PIECE_CHAR.test(char)) {
        joined += char;
        for (let k = 0; k < char.length; k += 1) origin.push(offset + k);
      }
      offset += char.length;
    }
    for (const match of matcher.getAllMatches(joined)) {
      spans.push({ start: origin[match.startIndex]!, end: origin[match.endIndex]! + 1 });
    }
  }
}

/** The regions of `text` to treat as profane, each widened to its whole word, sorted and merged. */
function profaneSpans(text: string): Span[] {
  const spans: Span[] = matcher
    .getAllMatches(text)
    .map((match) => ({ start: match.startIndex, end: match.endIndex + 1 }));
  joinedRunSpans(text, GLUED_RUN, spans);
  joinedRunSpans(text, SPACED_RUN, spans);
  if (spans.length === 0) return spans;

  // Widened so that "motherfucker" becomes "************", not "mother****er", which still reads.
  for (const span of spans) {
    while (span.start > 0 && isWordChar(text, span.start - 1)) span.start -= 1;
    while (span.end < text.length && isWordChar(text, span.end)) span.end += 1;
  }
  spans.sort((a, b) => a.start - b.start);
  const merged: Span[] = [spans[0]!];
  for (const span of spans.slice(1)) {
    const last = merged[merged.length - 1]!;
    if (span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push(span);
  }
  return merged;
}

const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;
function isWordChar(text: string, index: number): boolean {
  // Surrogate halves and combining marks are tested alone: a half never matches, so a word stops there, and an
  // astral letter inside a match is already covered by the match itself.
  return WORD_CHAR.test(text[index]!);
}

function mask(text: string, spans: Span[]): string {
  let out = "";
  let from = 0;
  for (const { start, end } of spans) {
    // One asterisk per visible character: a base character and its combining marks make one.
    out += text.slice(from, start) + text.slice(start, end).replace(/\P{M}\p{M}*/gu, "*");
    from = end;
  }
  return out + text.slice(from);
}

export function screenQuestion(text: string, policy: ContentPolicy): ContentVerdict {
  const links = countLinks(text);
  if (links > policy.maxLinks) {
    const limit = Math.max(0, policy.maxLinks);
    return {
      action: "reject",
      code: "TOO_MANY_LINKS",
      message:
        limit === 0
          ? "Links are not allowed in questions in this session. Please remove them and try again."
          : `Questions in this session may contain at most ${limit} link${limit === 1 ? "" : "s"}; ` +
            `yours has ${links}. Please remove some and try again.`,
    };
  }

  const spans = profaneSpans(text);
  if (spans.length === 0) return { action: "accept", text };
  switch (policy.profanity) {
    case "mask":
      return { action: "accept", text: mask(text, spans) };
    case "hold":
      return { action: "hold", text, reason: "profanity" };
    case "reject":
      return {
        action: "reject",
        code: "PROFANITY",
        message: "Your question contains language that is not allowed in this session. Please rephrase it.",
      };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Duplicates

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
 * Words as small integers: each distinct word gets the next number the first time a question on the board uses
 * it. Comparing two questions is then a merge of two sorted number arrays, with no map to fill or look up per
 * pair; a submission is compared with the same few hundred recent questions every time.
 */
const wordIds = new Map<string, number>();
/** A soft bound: checked between calls, so one call may pass it by the words of its texts. */
const WORD_IDS_MAX = 500_000;

/** A question already on the board, prepared once: its normalized text and its word ids, sorted. */
interface Candidate {
  normalized: string;
  ids: Int32Array;
}

/** Bounded; the oldest entries go first. Splitting the same texts again each time was most of the cost. */
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

/** How many words two questions share, counted as multisets (a word twice in both counts twice). */
function sharedWords(a: Int32Array, b: Int32Array): number {
  let shared = 0;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
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
 * exact match counts ("Why?" vs "How?"). Ties go to the earlier entry of `existing`; an exact match wins at once.
 *
 * Cost: one merge of two sorted word-id arrays per existing question (each prepared once, then remembered).
 */
export function findDuplicate(
  text: string,
  existing: ReadonlyArray<{ id: string; text: string }>,
  threshold: number = DEFAULT_DUPLICATE_THRESHOLD,
): { id: string; similarity: number } | null {
  if (!(threshold > 0 && threshold <= 1))
    throw new RangeError(`threshold must be in (0, 1], got ${threshold}`);
  const words = questionWords(text);
  if (words.length === 0) return null; // nothing left to compare: "???" is no copy of "!!!"
  const compareWords = words.length >= MIN_WORDS_FOR_SIMILARITY;
  const normalized = words.join(" ");
  if (wordIds.size >= WORD_IDS_MAX) {
    // The numbering starts over (between two calls: one call's numbers all come from the same numbering).
    wordIds.clear();
    candidates.clear();
  }
  const prepared = existing.map((question) => candidateOf(question.text));
  // After the board's questions: every word one of them has has its number by now.
  const ids = compareWords ? sortedIds(words, false) : null;

  let best: { id: string; similarity: number } | null = null;
  for (let k = 0; k < prepared.length; k += 1) {
    const other = prepared[k]!;
    if (other.normalized === normalized) return { id: existing[k]!.id, similarity: 1 };
    const otherLength = other.ids.length;
    if (ids === null || otherLength < MIN_WORDS_FOR_SIMILARITY) continue;
    const total = words.length + otherLength;
    // Even sharing every word of the shorter question, this one cannot reach the threshold or beat the best.
    const ceiling = (2 * Math.min(words.length, otherLength)) / total;
    if (ceiling < threshold || (best !== null && ceiling <= best.similarity)) continue;
    const similarity = (2 * sharedWords(ids, other.ids)) / total;
    if (similarity >= threshold && (best === null || similarity > best.similarity)) {
      best = { id: existing[k]!.id, similarity };
    }
  }
  return best;
}
