import { AppError } from "../../lib/errors.js";
import type { Handler } from "../../realtime/dispatch.js";
import type { Attendance } from "./attendees.join.js";

/** `presence:report`: an attendee's connection state and quality figures, as over POST /api/attendee/update-status. */
export function presenceReportHandler(
  attendance: Pick<Attendance, "updateStatus">,
): Handler<"presence:report"> {
  return async (socket, payload) => {
    if (socket.actor.kind !== "attendee") {
      throw new AppError("FORBIDDEN", 403, "Only an attendee reports its own connection state.");
    }
    await attendance.updateStatus(socket.actor, {
      status: payload.status ?? "connected",
      quality: payload.quality,
    });
    return null;
  };
}
