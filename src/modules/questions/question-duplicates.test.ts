import { describe, expect, it } from "vitest";
import { duplicateBoard, findDuplicate, normalizeQuestion, withNewest } from "./question-duplicates.js";

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

  it("answers from a board extended question by question as from the same questions at once, within its window", () => {
    const vocabulary = "cache index query latency scale team deploy test plan data".split(" ");
    const asked = Array.from({ length: 60 }, (_, i) => ({
      id: `a${i}`,
      text: Array.from({ length: 3 + (i % 6) }, (_, j) => vocabulary[(i * 3 + j * 7 + (i >> 2)) % 10]).join(
        " ",
      ),
    }));
    let board = duplicateBoard([]);
    for (const question of asked) board = withNewest(board, question, 25);
    const window = asked.slice(-25).reverse();
    expect(board.questions).toEqual(window);
    const atOnce = duplicateBoard(window);
    let found = 0;
    for (const query of [
      ...asked.map((q) => q.text),
      "deploy test plan data cache",
      "scale team",
      "nothing alike",
    ]) {
      for (const threshold of [0.85, 0.6]) {
        const answer = findDuplicate(query, board, threshold);
        expect(answer).toEqual(findDuplicate(query, atOnce, threshold));
        expect(answer).toEqual(findDuplicate(query, window, threshold));
        if (answer) found += 1;
      }
    }
    expect(found).toBeGreaterThan(25);
    // Questions that left the window are no longer duplicates of anything.
    expect(findDuplicate(asked[0]!.text, board)?.id).not.toBe("a0");
    expect(findDuplicate(asked[59]!.text, board)).toEqual({ id: "a59", similarity: 1 });
  });
});
