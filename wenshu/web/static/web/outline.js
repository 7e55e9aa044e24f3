/* 正文层次预览: shows which lines wenshu will read as headings 一、（一）1.（1）. wenshu's own
   code, no library; the server's parse_body decides, this only helps the clerk see it early. */
(function () {
  var levels = [[/^[一二三四五六七八九十]+、/, "一级标题"], [/^（[一二三四五六七八九十]+）/, "二级标题"],
                [/^\d+[.．]/, "三级标题"], [/^（\d+）/, "四级标题"]];
  document.querySelectorAll("textarea[data-body]").forEach(function (ta) {
    var box = document.getElementById("outline-" + ta.name);
    function draw() {
      box.textContent = "";
      ta.value.split("\n").forEach(function (line) {
        line = line.trim(); if (!line) return;
        var kind = "段落", n = 0;
        levels.forEach(function (l, i) { if (!n && l[0].test(line)) { kind = l[1]; n = i + 1; } });
        var p = document.createElement("div");
        p.className = "lv" + n; p.textContent = "【" + kind + "】" + line.slice(0, 40);
        box.appendChild(p);
      });
    }
    ta.addEventListener("input", draw); draw();
  });
})();
