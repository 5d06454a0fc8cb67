// A minimal Server-Sent Events parser over a fetch body (WHATWG EventSource parsing rules for the
// fields this API sends: id, event, data; comment lines are heartbeats).
export async function* readSse(body, signal) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let id;
    let event = "";
    let data = [];
    const onAbort = () => void reader.cancel().catch(() => { });
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
        for (;;) {
            const { value, done } = await reader.read();
            if (done) {
                return;
            }
            buffer += decoder.decode(value, { stream: true });
            let nl;
            while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
                const line = buffer.slice(0, nl);
                buffer = buffer.slice(nl + (buffer.startsWith("\r\n", nl) ? 2 : 1));
                if (line === "") {
                    if (data.length > 0) {
                        const frame = { event: event || "message", data: data.join("\n") };
                        if (id !== undefined) {
                            frame.id = id;
                        }
                        yield frame;
                    }
                    id = undefined;
                    event = "";
                    data = [];
                    continue;
                }
                if (line.startsWith(":")) {
                    continue; // heartbeat
                }
                const colon = line.indexOf(":");
                const field = colon < 0 ? line : line.slice(0, colon);
                let value = colon < 0 ? "" : line.slice(colon + 1);
                if (value.startsWith(" ")) {
                    value = value.slice(1);
                }
                if (field === "id") {
                    id = value;
                }
                else if (field === "event") {
                    event = value;
                }
                else if (field === "data") {
                    data.push(value);
                }
            }
        }
    }
    finally {
        signal?.removeEventListener("abort", onAbort);
        reader.releaseLock();
    }
}
