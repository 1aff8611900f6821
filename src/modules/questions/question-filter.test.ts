import { describe, expect, it } from "vitest";
import {
  countLinks,
  findDuplicate,
  normalizeQuestion,
  screenQuestion,
  type ContentPolicy,
} from "./question-filter.js";

const mask: ContentPolicy = { profanity: "mask", maxLinks: 5 };
const hold: ContentPolicy = { profanity: "hold", maxLinks: 5 };
const reject: ContentPolicy = { profanity: "reject", maxLinks: 5 };

describe("screenQuestion: profanity", () => {
  it("accepts clean text unchanged under every policy", () => {
    const text = "  How does the cache stay consistent across regions?  ";
    for (const policy of [mask, hold, reject]) {
      expect(screenQuestion(text, policy)).toEqual({ action: "accept", text });
    }
  });

  it.each([
    ["fuck you", "**** you"],
    ["What the FUCK is this shit?", "What the **** is this ****?"],
    ["motherfucker!", "************!"],
    ["that was bullshit, honestly", "that was ********, honestly"],
    ["you a$$hole", "you *******"],
    ["Bitches, all of them.", "*******, all of them."],
    ["line one\nshit\tline two", "line one\n****\tline two"],
  ])("masks %j as %j: whole words, one asterisk per character, the rest untouched", (text, masked) => {
    const verdict = screenQuestion(text, mask);
    expect(verdict).toEqual({ action: "accept", text: masked });
    if (verdict.action === "accept") expect(verdict.text).toHaveLength(text.length);
  });

  it.each([
    ["f.u.c.k this", "******* this"],
    ["f u c k this", "******* this"],
    ["fu.ck this", "***** this"],
    ["f-u-c-k", "*******"],
    ["s. h. 1. t", "**********"],
    ["f*ck", "****"],
    ["sh1t happens", "**** happens"],
    ["$hit", "****"],
    ["b!tch", "*****"],
    ["fuuuuuck", "********"],
    ["FuCk", "****"],
    ["ｆｕｃｋ", "****"],
    ["fück", "****"],
  ])("catches the obfuscation %j", (text, masked) => {
    expect(screenQuestion(text, mask)).toEqual({ action: "accept", text: masked });
    expect(screenQuestion(text, reject)).toMatchObject({ action: "reject", code: "PROFANITY" });
  });

  it("counts characters, not UTF-16 units, when masking letters outside the BMP", () => {
    // Mathematical bold letters are two UTF-16 units each; the mask still has one asterisk per letter.
    expect(screenQuestion("𝐟𝐮𝐜𝐤 that", mask)).toEqual({ action: "accept", text: "**** that" });
  });

  it.each([
    "Scunthorpe United won again",
    "How is the assessment graded?",
    "Was there a cocktail reception?",
    "Which class handles retries?",
    "Is the bass line a sample?",
    "Can we assume the input is sorted?",
    "Who assigned the asset IDs?",
    "Did Dickens write about this?",
    "Is the Hancock building involved?",
    "A peacock in the cockpit?",
    "Do you add cumin or not?",
    "She graduated summa cum laude",
    "Are shiitake mushrooms on the menu?",
    "Is the therapist licensed?",
    "Grapes or raisins?",
    "The pen is mightier than the sword?",
    "I love bananas so much",
    "Is kung fu part of the demo?",
    "What does the analysis show?",
    "Is Middlesex or Sussex next?",
    "What is the title of the button?",
    "Is the foam flame retardant?",
    "Is it legal in the U.S., e.g. in Texas, i.e. the south?",
    "Is A/B testing worth it?",
    "Are there sex differences in the drug response?",
    "Q & A after the break?",
  ])("does not flag the benign %j", (text) => {
    for (const policy of [mask, hold, reject]) {
      expect(screenQuestion(text, policy)).toEqual({ action: "accept", text });
    }
  });

  it("holds a profane question for moderation with its text unchanged", () => {
    expect(screenQuestion("What the fuck is this?", hold)).toEqual({
      action: "hold",
      text: "What the fuck is this?",
      reason: "profanity",
    });
    expect(screenQuestion("f.u.c.k", hold)).toEqual({ action: "hold", text: "f.u.c.k", reason: "profanity" });
  });

  it("rejects a profane question with a message that does not repeat the word", () => {
    const verdict = screenQuestion("Why is this shit so slow?", reject);
    expect(verdict).toMatchObject({ action: "reject", code: "PROFANITY" });
    if (verdict.action !== "reject") throw new Error("expected a rejection");
    expect(verdict.message).toMatch(/^[A-Z].*\.$/);
    expect(verdict.message.toLowerCase()).not.toContain("shit");
  });
});

describe("countLinks", () => {
  it.each([
    ["No links here at all.", 0],
    ["See https://example.com/docs for more", 1],
    ["http://example.com and https://example.org", 2],
    ["https://www.example.com/a?b=1#c counts once", 1],
    ["www.example.com", 1],
    ["www.x.y", 1],
    ["www2.example.com", 1],
    ["example.com", 1],
    ["example.com/x", 1],
    ["Go to example.com.", 1],
    ["(see example.org), then", 1],
    ["a.b.example.co.uk/path?q=1", 1],
    ["bit.ly/abc, t.co/xyz and youtube.com/watch?v=1", 3],
    ["character.ai or vercel.app", 2],
    ["bücher.de", 1],
    ["Write to me@example.com", 1],
    ["http://10.0.0.1:8080/", 1],
    ["Is pi 3.14 or 3.1416?", 0],
    ["e.g. this, i.e. that, in the U.S. and U.K.", 0],
    ["Version 1.2.3 or v2.0?", 0],
    ["Does ASP.NET or VB.NET support it?", 0],
    ["Is setup.py, main.rs, README.md or script.sh the entry point?", 0],
    ["Node.js vs Vue.js/React", 0],
    ["I tried it.It failed.So I stopped", 0],
    ["example.community is no TLD", 0],
    ["Mr.Smith and Dr.Who", 0],
  ])("%j has %i", (text, count) => {
    expect(countLinks(text)).toBe(count);
  });
});

describe("screenQuestion: links", () => {
  const text = "Compare https://a.example.com with b.example.org/x";

  it("accepts up to maxLinks and rejects above it", () => {
    expect(screenQuestion(text, { profanity: "reject", maxLinks: 2 })).toEqual({ action: "accept", text });
    const verdict = screenQuestion(text, { profanity: "reject", maxLinks: 1 });
    expect(verdict).toMatchObject({ action: "reject", code: "TOO_MANY_LINKS" });
    if (verdict.action !== "reject") throw new Error("expected a rejection");
    expect(verdict.message).toContain("at most 1 link;");
    expect(verdict.message).toContain("yours has 2");
    expect(verdict.message).not.toContain("example");
  });

  it("says links are not allowed at all when maxLinks is 0", () => {
    const verdict = screenQuestion("see example.com", { profanity: "mask", maxLinks: 0 });
    expect(verdict).toMatchObject({ action: "reject", code: "TOO_MANY_LINKS" });
    if (verdict.action !== "reject") throw new Error("expected a rejection");
    expect(verdict.message).toMatch(/not allowed/);
    expect(screenQuestion("Is pi 3.14, e.g. in the U.S.?", { profanity: "mask", maxLinks: 0 }).action).toBe(
      "accept",
    );
  });

  it("checks links before profanity", () => {
    const policy: ContentPolicy = { profanity: "hold", maxLinks: 0 };
    expect(screenQuestion("shit, see example.com", policy)).toMatchObject({ code: "TOO_MANY_LINKS" });
    expect(screenQuestion("shit, see example.com", { ...policy, maxLinks: 1 })).toMatchObject({
      action: "hold",
    });
  });

  it("masks profanity inside an allowed link like anywhere else", () => {
    expect(screenQuestion("see example.com/shit", mask)).toEqual({
      action: "accept",
      text: "see example.com/****",
    });
  });
});

describe("normalizeQuestion", () => {
  it.each([
    ["  Hello,   WORLD!! ", "hello world"],
    ["Don't you think É-MAIL is great?!", "dont you think email is great"],
    ["Crème brûlée à la carte", "creme brulee a la carte"],
    ["Straße", "strasse"],
    ["ΟΔΟΣ οδος", "οδος οδος"],
    ["İstanbul", "istanbul"],
    ["ﬁne ℌello ｆｕｌｌ", "fine hello full"],
    ["and/or talk—why (really)?", "and or talk why really"],
    ["Line\none\ttwo", "line one two"],
    ["fr\u200bee", "free"],
    ["What's new in C#? And C++?", "whats new in c# and c++"],
    ["#hashtag +1", "hashtag 1"],
    ["U.S. policy", "us policy"],
    ["?!…", ""],
    ["", ""],
  ])("%j → %j", (text, normalized) => {
    expect(normalizeQuestion(text)).toBe(normalized);
  });
});

describe("findDuplicate", () => {
  const base = "How do you handle authentication tokens in a microservices architecture?"; // 10 words
  const pool = (...texts: string[]) => texts.map((text, i) => ({ id: `q${i + 1}`, text }));

  it("finds the same question modulo case, punctuation, spacing and accents", () => {
    const existing = pool(
      "Something else entirely, thank you",
      "how do you HANDLE authentication tokens in a micro-services architecture",
    );
    expect(
      findDuplicate("How do you handle authentication tokens in a microservices architecture???", existing),
    ).toEqual({
      id: "q2",
      similarity: 1,
    });
    expect(findDuplicate("Qué pasa con el caché?", pool("que pasa con el cache"))).toEqual({
      id: "q1",
      similarity: 1,
    });
  });

  it("finds a 10-word question with one word added or changed", () => {
    const added = findDuplicate(
      "How do you securely handle authentication tokens in a microservices architecture?",
      pool(base),
    );
    expect(added?.id).toBe("q1");
    expect(added?.similarity).toBeCloseTo(20 / 21, 10);
    const changed = findDuplicate(
      "How do you manage authentication tokens in a microservices architecture?",
      pool(base),
    );
    expect(changed).toEqual({ id: "q1", similarity: 0.9 });
  });

  it("does not flag different questions that share words", () => {
    const existing = pool(
      base,
      "How do you handle errors in a microservices architecture?", // 8 of 9 words shared: 0.84
      "What database do you use for authentication tokens?",
      "How do you test it?",
    );
    expect(findDuplicate("How do you handle logging in a monolith architecture?", existing)).toBeNull();
    expect(
      findDuplicate("Which authentication tokens do you recommend for mobile apps?", existing),
    ).toBeNull();
    expect(findDuplicate("How do you test the frontend?", existing)).toBeNull();
  });

  it("matches questions under four words only exactly", () => {
    const existing = pool("Why?", "Is it recorded?", "slides be shared");
    expect(findDuplicate("How?", existing)).toBeNull();
    expect(findDuplicate("why", existing)).toEqual({ id: "q1", similarity: 1 });
    expect(findDuplicate("Is this recorded?", existing)).toBeNull();
    expect(findDuplicate("IS IT RECORDED", existing)).toEqual({ id: "q2", similarity: 1 });
    // Four words against three would score 6/7 ≈ 0.857 by similarity alone.
    expect(findDuplicate("Will slides be shared?", existing)).toBeNull();
  });

  it("matches at exactly the threshold and not below it", () => {
    const words = Array.from({ length: 20 }, (_, i) => `word${i}`);
    const withChanges = (n: number) => [
      ...words.slice(0, 20 - n),
      ...Array.from({ length: n }, (_, i) => `new${i}`),
    ];
    const existing = pool(words.join(" "));
    // 17 of 20 shared: 34/40 = 0.85; 16 of 20: 0.80.
    expect(findDuplicate(withChanges(3).join(" "), existing)).toEqual({ id: "q1", similarity: 0.85 });
    expect(findDuplicate(withChanges(4).join(" "), existing)).toBeNull();
    expect(findDuplicate(withChanges(3).join(" "), existing, 0.86)).toBeNull();
    expect(findDuplicate(withChanges(4).join(" "), existing, 0.8)).toEqual({ id: "q1", similarity: 0.8 });
    expect(findDuplicate(withChanges(1).join(" "), existing, 1)).toBeNull();
  });

  it("returns the best match when several qualify, the earliest on a tie, an exact one first", () => {
    const existing = pool(
      "How do you manage authentication tokens in a microservices architecture?", // 0.90
      "How do you securely handle authentication tokens in a microservices architecture?", // 0.95
      "How do you store authentication tokens in a microservices architecture?", // 0.90
    );
    expect(findDuplicate(base, existing)).toEqual({ id: "q2", similarity: 20 / 21 });
    expect(findDuplicate(base, [existing[0]!, existing[2]!])).toEqual({ id: "q1", similarity: 0.9 });
    const reordered = pool("Is Go faster than Rust for servers?", "is rust faster than go for servers");
    // Word order is ignored, so the first scores 1 too; the exact match still wins.
    expect(findDuplicate("Is Rust faster than Go for servers?", reordered)).toEqual({
      id: "q2",
      similarity: 1,
    });
    expect(findDuplicate("Is Rust faster than Go for servers?", reordered.slice(0, 1))).toEqual({
      id: "q1",
      similarity: 1,
    });
  });

  it("counts repeated words as often as they occur", () => {
    // Sets would call these identical; as multisets they share 5 of 6 + 5 words: 10/11.
    const found = findDuplicate("very very much faster than before", pool("very much faster than before"));
    expect(found?.similarity).toBeCloseTo(10 / 11, 10);
  });

  it("returns null for nothing to compare", () => {
    expect(findDuplicate(base, [])).toBeNull();
    expect(findDuplicate("???", pool("!!!", ""))).toBeNull();
    expect(findDuplicate("", pool(""))).toBeNull();
  });

  it("refuses a threshold outside (0, 1]", () => {
    for (const threshold of [0, -0.5, 1.5, Number.NaN]) {
      expect(() => findDuplicate(base, pool(base), threshold)).toThrow(RangeError);
    }
  });

  it("finds the one duplicate among 500 recent questions", () => {
    const vocabulary =
      "what how why when which data model cache index query latency scale team deploy test".split(" ");
    const existing = Array.from({ length: 500 }, (_, i) => ({
      id: `q${i}`,
      text: Array.from(
        { length: 8 + (i % 20) },
        (_, j) => vocabulary[(i * 7 + j * 3) % vocabulary.length],
      ).join(" "),
    }));
    // Timing is a benchmark's business, not a test's: here, only the answer among many.
    expect(findDuplicate(base, existing)).toBeNull();
    const withIt = [...existing.slice(0, 250), { id: "the-one", text: base }, ...existing.slice(250)];
    expect(findDuplicate(base, withIt)).toEqual({ id: "the-one", similarity: 1 });
  });
});
