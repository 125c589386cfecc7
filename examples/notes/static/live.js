// The live view: notes created, edited or deleted in another tab show up here
// without a reload, over a WebSocket (served over ASGI: carboy run, uvicorn, ...).
(function () {
  "use strict";
  const status = document.getElementById("live-status");
  const list = document.getElementById("notes");
  const empty = document.getElementById("empty");
  const count = document.querySelector(".count");
  // The same format as the server's: "30 Nov 2026, 06:25" (UTC).
  const when = new Intl.DateTimeFormat("en-GB", {
    day: "2-digit", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "UTC",
  });
  if (!status || !list) return;

  function card(note) {
    const li = document.createElement("li");
    li.className = "card fresh";
    li.dataset.id = note.id;
    const link = document.createElement("a");
    link.className = "title";
    link.href = note.url;
    link.textContent = note.title;  // text, never HTML: no markup from a note runs
    const body = document.createElement("p");
    body.className = "body";
    body.textContent = note.body.length > 160 ? note.body.slice(0, 157) + "..." : note.body;
    const time = document.createElement("time");
    time.dateTime = note.created;
    time.textContent = when.format(new Date(note.created));
    li.append(link, body, time);
    return li;
  }

  function find(id) {
    return list.querySelector(`li[data-id="${id}"]`);
  }

  function apply(event) {
    if (event.type === "created" && !find(event.note.id)) {
      list.prepend(card(event.note));
      if (count) count.textContent = Number(count.textContent) + 1;
    } else if (event.type === "updated" && find(event.note.id)) {
      find(event.note.id).replaceWith(card(event.note));
    } else if (event.type === "deleted" && find(event.id)) {
      find(event.id).remove();
      if (count) count.textContent = Math.max(0, Number(count.textContent) - 1);
    }
    if (empty) empty.hidden = list.children.length > 0;
  }

  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${status.dataset.url}`);
    socket.onopen = () => {
      delay = 1000;
      status.textContent = "live";
      status.classList.add("on");
    };
    socket.onmessage = (message) => apply(JSON.parse(message.data));
    socket.onclose = () => {
      status.classList.remove("on");
      status.textContent = "offline (live updates need an ASGI server)";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
