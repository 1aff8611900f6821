import { STATUS_CODES } from "node:http";

/** The reason phrase for a status, used as a problem's `title`. */
export const statusTitle = (status: number): string => STATUS_CODES[status] ?? "Error";
