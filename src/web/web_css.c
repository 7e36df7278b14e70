/*
 * web_css.c - the one style sheet of the web interface (served by vios
 * itself: the CSP allows no other source). Print hides the menu, so a case
 * page or an agenda prints as the paper for the meeting.
 */
#include "web/web_internal.h"

const char web_css[] =
	":root{--ink:#1d2433;--muted:#5b6478;--line:#d5dae3;--accent:#1f5fa8;--bad:#a31d1d;--ok:#1d6b33;--bg:#f6f7f9}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;font:16px/1.45 'DejaVu Sans',system-ui,sans-serif;color:var(--ink);background:var(--bg)}\n"
	"header.top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.2rem;padding:.6rem 1.2rem;background:#fff;border-bottom:1px solid var(--line)}\n"
	".brand{font-weight:700;font-size:1.2rem;color:var(--accent);text-decoration:none}\n"
	".who{color:var(--muted)}\n"
	"nav ul{display:flex;flex-wrap:wrap;gap:.2rem .9rem;list-style:none;margin:0;padding:0}\n"
	"nav a{color:var(--ink);text-decoration:none}nav a[aria-current]{font-weight:700;border-bottom:2px solid var(--accent)}\n"
	".tools{margin-left:auto;display:flex;gap:.8rem}.tools form{margin:0}\n"
	"button.link{background:none;border:0;color:var(--accent);cursor:pointer;padding:0;font:inherit;text-decoration:underline}\n"
	"main{max-width:72rem;margin:0 auto;padding:1rem 1.2rem 3rem}\n"
	"h1{font-size:1.5rem;margin:.4rem 0 1rem}h2{font-size:1.15rem;margin:1.6rem 0 .5rem}\n"
	"section.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.8rem 1rem;margin:0 0 1rem}\n"
	"table{border-collapse:collapse;width:100%;background:#fff}\n"
	"th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}\n"
	"th{font-size:.9rem;color:var(--muted);font-weight:600}\n"
	"form p{margin:.5rem 0}label{display:block;font-weight:600;margin-bottom:.15rem}\n"
	"input,select,textarea{font:inherit;padding:.35rem .45rem;border:1px solid var(--line);border-radius:4px;max-width:100%}\n"
	"input[type=text],input[type=password],input[type=search],select,textarea{width:28rem}\n"
	"textarea{min-height:5rem}\n"
	"button{font:inherit;padding:.4rem .9rem;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}\n"
	".error{color:var(--bad);font-weight:600;border-left:4px solid var(--bad);padding:.3rem .6rem;background:#fff}\n"
	".notice{color:var(--ok);border-left:4px solid var(--ok);padding:.3rem .6rem;background:#fff}\n"
	".overdue{color:var(--bad);font-weight:600}.muted{color:var(--muted)}\n"
	".print-hint{color:var(--muted);font-size:.9rem}\n"
	"dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1.5rem;background:#fff;border:1px solid var(--line);border-radius:6px;padding:.8rem 1rem}\n"
	"dt{font-weight:600;color:var(--muted)}dd{margin:0}\n"
	"img.chart{max-width:100%;height:auto;background:#fff;border:1px solid var(--line)}\n"
	"@media print{header.top,.tools,nav,form,.print-hint,.noprint{display:none!important}"
	"body{background:#fff;font-size:11pt}main{max-width:none;padding:0}section.card{border:0;padding:0}}\n";
