// The 批量 task page: poll the task's status and move the bar; reload once it has ended.
(function () {
  var bar = document.querySelector("[data-poll]");
  if (!bar) return;
  var text = document.getElementById("progress-text"), state = document.getElementById("task-state");
  function tick() {
    fetch(bar.dataset.poll, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        bar.setAttribute("aria-valuenow", s.percent);
        bar.firstElementChild.style.width = s.percent + "%";
        if (text) text.textContent = s.stage + (s.total ? " " + s.done + "/" + s.total : "");
        if (state) state.textContent = s.label;
        if (s.running) setTimeout(tick, 700); else location.reload();
      })
      .catch(function () { setTimeout(tick, 2000); });
  }
  setTimeout(tick, 300);
})();
