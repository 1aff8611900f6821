/**
 * Content screening for submitted questions (issue 6, point 7): links and profanity here, duplicates in
 * question-duplicates.ts. Pure functions, no I/O: the service reads the session's policy and recent questions and
 * decides what to store.
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

/**
 * Every blacklisted term at once, run on the text as the matcher transforms it: no match here means the matcher
 * finds none (its whitelist only ever removes matches), so clean text, nearly every question, skips its pass per
 * term and its whitelist scan (about a third of the time, measured on a process woken every 50 ms). Built from
 * the matcher's own compiled terms and transformers, which obscenity keeps private: if a version renames them, the
 * matcher simply runs every time.
 */
const anyTerm = (() => {
  const inside = matcher as unknown as {
    blacklistedTerms?: Array<{ regExp?: unknown }>;
    blacklistMatcherTransformers?: unknown;
    applyTransformers?: (input: string, transformers: unknown) => [number[], string];
  };
  const terms = inside.blacklistedTerms;
  const { applyTransformers, blacklistMatcherTransformers } = inside;
  if (!Array.isArray(terms) || terms.length === 0 || typeof applyTransformers !== "function") return null;
  if (!terms.every((term) => term.regExp instanceof RegExp)) return null;
  const pattern = new RegExp(terms.map((term) => `(?:${(term.regExp as RegExp).source})`).join("|"), "s");
  return (text: string) =>
    pattern.test(applyTransformers.call(matcher, text, blacklistMatcherTransformers)[1]);
})();

/** False when no blacklisted term can match `text`: the matcher would find nothing (true when unsure). */
export function mayBeProfane(text: string): boolean {
  return anyTerm === null || anyTerm(text);
}

/** The matcher's matches in `text` (an empty list at once for clean text). */
function termMatches(text: string) {
  return mayBeProfane(text) ? matcher.getAllMatches(text) : [];
}

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
    for (const match of termMatches(joined)) {
      spans.push({ start: origin[match.startIndex]!, end: origin[match.endIndex]! + 1 });
    }
  }
}

/** The regions of `text` to treat as profane, each widened to its whole word, sorted and merged. */
function profaneSpans(text: string): Span[] {
  const spans: Span[] = termMatches(text).map((match) => ({
    start: match.startIndex,
    end: match.endIndex + 1,
  }));
  joinedRunSpans(text, GLUED_RUN, spans);
  joinedRunSpans(text, SPACED_RUN, spans);
  if (spans.length === 0) return spans;

  // Widened so that "motherfucker" becomes "************", not "mother****er", which still reads.
  const words: Span[] = [];
  for (const match of spans) {
    const word = { ...match };
    while (word.start > 0 && isWordChar(text, word.start - 1)) word.start -= 1;
    while (word.end < text.length && isWordChar(text, word.end)) word.end += 1;
    const around = text.slice(word.start, match.start) + text.slice(match.end, word.end);
    if (!readsAsCode(text.slice(match.start, match.end), around)) words.push(word);
  }
  if (words.length === 0) return words;
  words.sort((a, b) => a.start - b.start);
  const merged: Span[] = [words[0]!];
  for (const span of words.slice(1)) {
    const last = merged[merged.length - 1]!;
    if (span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push(span);
  }
  return merged;
}

/**
 * A match spelled mostly in digits that reads as a number or a code, not as leetspeak: the preset reads 4 as a and
 * 5 as s, and would take a room number or a phone model for "ass". It is one when its digits are at least as many as
 * its letters, and it has no lowercase letter ("455", "A55") or sits in a word with more digits ("a559c3ad"). Letters
 * with a digit or two ("sh1t", "a55hole"), a lowercase "a55" or "5h1t" alone, "@" or "$" for a letter, and digits
 * added to a plain word ("shit2024": its match has none) are still caught. The price: a capitalised "5H1T" passes,
 as a code would; moderators still see it.
 */
function readsAsCode(matched: string, around: string): boolean {
  const digits = matched.match(/\p{N}/gu)?.length ?? 0;
  if (digits === 0 || /[@$]/.test(matched)) return false;
  if (digits < (matched.match(/\p{L}/gu)?.length ?? 0)) return false;
  return !/\p{Ll}/u.test(matched) || /\p{N}/u.test(around);
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
