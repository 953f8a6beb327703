import { ref, type Ref } from 'vue';
import { translateTimestampSince } from '../../../core/api/age.ts';

// One clock for every age and "last seen" on screen: a single timer moves `now` once a
// second, and whatever renders an age through ageSince() re-renders with it. The timer
// starts with the first reader and keeps going (the GUI always shows some age).

const TICK_MS = 1000;
let now: Ref<number> | undefined;

export function sharedNow(): Ref<number> {
  if (!now) {
    const clock = ref(Date.now());
    setInterval(() => (clock.value = Date.now()), TICK_MS);
    now = clock;
  }
  return now;
}

/** Kubernetes' age of a timestamp (`45s`, `3m12s`) on the shared clock, so it ticks. */
export function ageSince(timestamp: string | undefined | null): string {
  return translateTimestampSince(timestamp, new Date(sharedNow().value));
}
