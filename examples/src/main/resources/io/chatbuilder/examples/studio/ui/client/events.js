/** The known types at run time; the compiler checks the list is exactly EventType. */
export const EVENT_TYPES = [
    "run_started",
    "assistant_delta",
    "reasoning_delta",
    "tool_input_delta",
    "assistant_message",
    "tool_started",
    "tool_completed",
    "tool_failed",
    "file_changes",
    "checkpoint_created",
    "status",
    "run_completed",
    "run_failed",
    "run_cancelled",
];
const exhaustive = true;
void exhaustive;
export const TERMINAL_EVENT_TYPES = ["run_completed", "run_failed", "run_cancelled"];
export function isKnownEvent(e) {
    return EVENT_TYPES.includes(e.type);
}
/** Whether the event ends its run (a run emits exactly one). */
export function isTerminal(e) {
    return TERMINAL_EVENT_TYPES.includes(e.type);
}
/** The known app event types at run time; the compiler checks the list is exactly AppEventType. */
export const APP_EVENT_TYPES = [
    "run_started",
    "run_ended",
    "checkpoint_created",
    "draft_state",
    "draft_progress",
    "publish_started",
    "publish_progress",
    "publish_finished",
    "preview_error",
];
const exhaustiveApp = true;
void exhaustiveApp;
export function isKnownAppEvent(e) {
    return APP_EVENT_TYPES.includes(e.type);
}
