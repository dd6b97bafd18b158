"""A person's home after login (我的待办) as the API shows it: the service's view
(`services.home.HomeView`), the one the page /me shows. Each item carries the ids a client needs for
its next call and `href`, the page a browser would open."""

from __future__ import annotations

from pydantic import Field

from app.services.home import CosignMatter, HomeView, OpenVote, Reply, Task, WindowNotice
from schemas.common import out_model

OpenVoteOut = out_model(OpenVote, "OpenVoteOut", doc="一次我还能投的表决（POST /votes/{id}/ballots 投票）")
CosignMatterOut = out_model(CosignMatter, "CosignMatterOut", doc="一件正在征集联署的事项及其进度",
                            extra={"villagers_missing": (int, Field(description="还差几位村民联署")),
                                   "representatives_missing": (int, Field(description="还差几位村民代表联署"))})
WindowNoticeOut = out_model(WindowNotice, "WindowNoticeOut", doc="一份正在公示期内的公开")
ReplyOut = out_model(Reply, "HomeReplyOut", doc="别人对我的意见或质询的回复",
                     descriptions={"kind": "comment（对我意见的回复）或 objection（对我质询的答复）",
                                   "who": "回复的人；质询的答复为空（以村的名义）"})
TaskOut = out_model(Task, "TaskOut", doc="我的身份带来的一项工作：要做几件（没有数目时为空）和去哪里做",
                    descriptions={"href": "做这项工作的网页"})
HomeOut = out_model(
    HomeView, "HomeOut",
    doc="我的待办：本村我还能投的表决、征集联署的事项、公示期内的公开、别人给我的回复，以及身份带来的工作。",
    descriptions={"village_name": "我所在的村（乡镇监督员可为空）",
                  "unread": "未读的通知条数（GET /me/notifications）"},
    extra={"votes": (list[OpenVoteOut], Field()), "cosigns": (list[CosignMatterOut], Field()),
           "notices": (list[WindowNoticeOut], Field()), "replies": (list[ReplyOut], Field()),
           "tasks": (list[TaskOut], Field())})
