import { soundOn } from "./prefs";

/**
 * The reel's tick and the win chime, synthesised with WebAudio: no audio file is fetched. Nothing
 * plays unless the player turned sound on; the context starts on first use, after the click that
 * opened the case (browsers allow audio once the page has had a user gesture).
 */
let context: AudioContext | null = null;

function audio(): AudioContext | null {
  if (!soundOn.value || typeof AudioContext === "undefined") return null;
  context ??= new AudioContext();
  if (context.state === "suspended") void context.resume();
  return context;
}

function tone(ctx: AudioContext, frequency: number, start: number, length: number, volume: number, type: OscillatorType): void {
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.type = type;
  osc.frequency.setValueAtTime(frequency, start);
  // A fast attack and an exponential fall: a click, not a beep.
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(volume, start + 0.005);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
  osc.connect(gain).connect(ctx.destination);
  osc.start(start);
  osc.stop(start + length + 0.02);
}

/** One tile passing under the marker. */
export function tick(): void {
  const ctx = audio();
  if (ctx) tone(ctx, 1800, ctx.currentTime, 0.03, 0.05, "square");
}

/** The reel stopped: a rising three-note chime, brighter for a more valuable win. */
export function winChime(rare: boolean): void {
  const ctx = audio();
  if (!ctx) return;
  const notes = rare ? [659.25, 830.61, 987.77, 1318.51] : [523.25, 659.25, 783.99];
  notes.forEach((f, i) => tone(ctx, f, ctx.currentTime + i * 0.09, 0.35, 0.12, "triangle"));
}
