import { useState } from "preact/hooks";
import type { QualitySummary } from "../../../src/modules/signaling/signaling.schemas";

/** The code and link attendees join with, each with a copy button. */
export function JoinDetails({ joinCode }: { joinCode: string }) {
  const link = `${location.origin}/join/${joinCode}`;
  const [copied, setCopied] = useState<string | null>(null);
  const copy = (what: string, text: string) =>
    navigator.clipboard.writeText(text).then(
      () => setCopied(`${what} copied`),
      () => setCopied(`Copy failed: select the ${what.toLowerCase()} and copy it`),
    );
  return (
    <section class="card stack" aria-labelledby="join-title">
      <h2 id="join-title">Invite attendees</h2>
      <div class="row">
        <span class="grow">
          Code{" "}
          <span class="code" data-testid="join-code">
            {joinCode}
          </span>
        </span>
        <button type="button" class="secondary" onClick={() => copy("Code", joinCode)}>
          Copy code
        </button>
      </div>
      <div class="row">
        <a class="grow" href={link} target="_blank" rel="noopener" data-testid="join-link">
          {link}
        </a>
        <button type="button" class="secondary" onClick={() => copy("Link", link)}>
          Copy link
        </button>
      </div>
      <p role="status" class="small muted">
        {copied}
      </p>
    </section>
  );
}

const ms = (value: number | undefined) => (value === undefined ? "–" : `${Math.round(value)} ms`);

/** Attendees present, links connected, and the attendees' connection quality (median and worst). */
export function QualityPanel({
  attendees,
  connected,
  links,
  quality,
}: {
  attendees: number | null;
  connected: number;
  links: number;
  quality: QualitySummary | null;
}) {
  return (
    <div class="stats" role="group" aria-label="Audience and connection quality">
      <div class="stat">
        <b data-testid="attendee-count">{attendees ?? "–"}</b>attendees here
      </div>
      <div class="stat">
        <b data-testid="links-connected">
          {connected}/{links}
        </b>
        video links connected
      </div>
      <div class="stat">
        <b>{ms(quality?.rttMs?.p50)}</b>median round trip
      </div>
      <div class="stat">
        <b>{quality?.packetLossPct ? `${quality.packetLossPct.p90.toFixed(1)} %` : "–"}</b>packet loss (p90)
      </div>
      <div class="stat" data-testid="quality-levels">
        <b>{quality ? `${quality.levels.good} of ${quality.attendees}` : "–"}</b>
        links in good shape
        {quality && quality.levels.good < quality.attendees && (
          <span class="small">
            {" "}
            ({quality.levels.fair} fair, {quality.levels.poor} poor, {quality.levels.bad} bad)
          </span>
        )}
      </div>
    </div>
  );
}
