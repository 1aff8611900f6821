import { randomInt } from "node:crypto";

/** No 0/O, 1/I/L: a code read off a slide or said aloud is typed right the first time. */
export const JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
export const JOIN_CODE_LENGTH = 6;

/** A random join code: 31^6 ≈ 887 million codes, so collisions among live sessions are rare and retried. */
export function newJoinCode(): string {
  let code = "";
  for (let i = 0; i < JOIN_CODE_LENGTH; i += 1)
    code += JOIN_CODE_ALPHABET[randomInt(JOIN_CODE_ALPHABET.length)];
  return code;
}
