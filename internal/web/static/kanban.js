// Deal board drag and drop. Loaded only on /deals/board, as a file because
// the CSP forbids inline scripts. Every card also has a "Move to" form
// that works without this script (keyboard, phones, no JavaScript); a drop
// simply fills in and sends that form, and the server answers with the
// redrawn board so counts and totals are always the server's.
(function () {
  "use strict";

  var dragged = null;

  function column(el) {
    return el && el.closest ? el.closest(".board-col") : null;
  }

  document.addEventListener("dragstart", function (e) {
    var card = e.target.closest && e.target.closest(".deal-card");
    if (!card) {
      return;
    }
    dragged = card;
    card.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    // Firefox starts a drag only when some data is set.
    e.dataTransfer.setData("text/plain", card.getAttribute("data-deal"));
  });

  document.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("dragging");
    }
    document.querySelectorAll(".board-col.drop-target").forEach(function (c) {
      c.classList.remove("drop-target");
    });
  });

  document.addEventListener("dragover", function (e) {
    var col = column(e.target);
    if (!col || !dragged) {
      return;
    }
    e.preventDefault(); // allow the drop
    e.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".board-col.drop-target").forEach(function (c) {
      if (c !== col) {
        c.classList.remove("drop-target");
      }
    });
    col.classList.add("drop-target");
  });

  document.addEventListener("drop", function (e) {
    var col = column(e.target);
    if (!col || !dragged) {
      return;
    }
    e.preventDefault();
    var card = dragged;
    dragged = null;
    col.classList.remove("drop-target");
    var form = card.querySelector("form.card-move");
    var stage = col.getAttribute("data-stage");
    if (!form || column(card) === col) {
      return;
    }
    form.elements["stage_id"].value = stage;
    // Show the move at once; the server's board replaces this guess.
    col.querySelector("ul.cards").appendChild(card);
    send(form);
  });

  function send(form) {
    var body = new URLSearchParams(new FormData(form));
    var status = document.getElementById("board-status");
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded" }
    }).then(function (resp) {
      return resp.text().then(function (html) {
        if (!resp.ok) {
          throw new Error(html);
        }
        var board = document.getElementById("board");
        var tpl = document.createElement("template");
        tpl.innerHTML = html;
        var fresh = tpl.content.getElementById("board");
        if (board && fresh) {
          board.replaceWith(fresh);
        }
      });
    }).catch(function () {
      // Without a usable answer, fall back to the plain form: the page
      // reloads with the server's state and any error it reports.
      if (status) {
        status.textContent = "";
      }
      form.submit();
    });
  }
})();
