// Every table of every module, for Drizzle's typed client and drizzle-kit. Tables live beside their module.
export * from "../modules/auth/auth.table.js";
export * from "../modules/sessions/sessions.table.js";
export * from "../modules/attendees/attendees.table.js";
export * from "../modules/questions/questions.table.js";
export * from "../modules/analytics/analytics.table.js";
export * from "../modules/signaling/signaling.table.js";
